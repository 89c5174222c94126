using System.Text.Json;

namespace ExportPS.Host.CommandLine;

/// <summary>The JSON form of an option (<c>--blockdev '{"driver":"file",...}'</c>), which QEMU accepts wherever it takes keyval.</summary>
internal static class JsonOptionParser
{
    /// <summary>QEMU treats an argument as JSON when it starts with '{'.</summary>
    public static bool LooksLikeJson(string text) => text.StartsWith('{');

    public static OptionMap Parse(string text)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw new CommandLineException($"JSON parse error, {FirstLine(e.Message)}");
        }

        using (document)
        {
            return (OptionMap)Convert(document.RootElement);
        }
    }

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

    private static string FirstLine(string message)
    {
        int end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }
}
