using System.Text.Json;

namespace ExportPS.Engine.Qapi;

/// <summary>Builds option trees from JSON: QMP arguments and the JSON form of a command-line option give the same tree.</summary>
internal static class OptionTree
{
    public static OptionMap Empty => new(isJson: true);

    /// <summary>The tree of a JSON object (the caller has checked it is one).</summary>
    public static OptionMap FromJson(JsonElement obj) => (OptionMap)Convert(obj);

    private static OptionNode Convert(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => ConvertObject(element),
        JsonValueKind.Array => new OptionArray(element.EnumerateArray().Select(Convert).ToArray()),
        _ => new OptionJsonScalar(element.Clone()),
    };

    private static OptionMap ConvertObject(JsonElement element)
    {
        var map = new OptionMap(isJson: true);
        foreach (var property in element.EnumerateObject())
        {
            map.Set(property.Name, Convert(property.Value));
        }

        return map;
    }
}
