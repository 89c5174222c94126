using System.Text.Json;
using System.Text.Json.Nodes;

namespace ExportPS.Engine.Qmp.Codecs;

/// <summary>Writing and reading optional QMP members, the same way in every codec.</summary>
internal static class QmpMembers
{
    public static void SetIf(JsonObject args, string name, string? value)
    {
        if (value is not null)
        {
            args[name] = value;
        }
    }

    public static void SetIf(JsonObject args, string name, long? value)
    {
        if (value is not null)
        {
            args[name] = value;
        }
    }

    /// <summary>Booleans that default to false are sent only when true, so older peers never see members they lack.</summary>
    public static void SetIf(JsonObject args, string name, bool value)
    {
        if (value)
        {
            args[name] = true;
        }
    }

    public static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());

    public static string? String(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static string[] StringList(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().Select(v => v.GetString()!).ToArray()
            : [];

    public static bool Bool(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;
}
