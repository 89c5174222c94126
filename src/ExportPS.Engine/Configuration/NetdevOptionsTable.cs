using System.Collections;
using System.Collections.Specialized;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qapi;
using ExportPS.Engine.Qmp.Codecs;

namespace ExportPS.Engine.Configuration;

/// <summary>
/// A netdev's options in a configuration, for every type at once: read with the netdev_add reader (as the command
/// line's keyval text, so $true, 5000 and 'on' all do) and written with the netdev_add codec, so a new netdev type
/// needs nothing here. Keys are QEMU's member names in any case (HubId is hubid, Addr = @{ Type; Path }).
/// </summary>
internal static class NetdevOptionsTable
{
    /// <summary>The options of <paramref name="type"/> from the item's keys other than its own (Id, Type, Ensure, LinkUp).</summary>
    public static NetdevOptions Read(string id, string type, IEnumerable<KeyValuePair<string, object?>> members, string path)
    {
        var map = new OptionMap(isJson: false);
        map.Set("type", new OptionText(type));
        map.Set("id", new OptionText(id));
        foreach (var (key, value) in members)
        {
            map.Set(key.ToLowerInvariant(), ToNode(value, ConfigurationSection.Join(path, key)));
        }

        try
        {
            return NetdevOptionsReader.Read(new OptionReader(map));
        }
        catch (EngineException e)
        {
            throw ConfigurationSection.Error(path, e.Message);
        }
    }

    /// <summary>The options of a netdev as the engine reports them (<see cref="NetdevInfo.Arguments"/>).</summary>
    public static NetdevOptions FromArguments(string arguments)
    {
        using var document = JsonDocument.Parse(arguments);
        return NetdevOptionsReader.Read(new OptionReader(OptionTree.FromJson(document.RootElement)));
    }

    /// <summary>The members after type and id, as nested ordered tables of plain values (Get-ExportConfiguration's form).</summary>
    public static IEnumerable<(string Key, object? Value)> Members(NetdevOptions options)
    {
        using var document = JsonDocument.Parse(NetdevCodec.WriteAdd(options).ToJsonString());
        foreach (var member in document.RootElement.EnumerateObject().Where(m => m.Name is not ("type" or "id")))
        {
            yield return (member.Name, ToValue(member.Value));
        }
    }

    /// <summary>Every leaf member with its dotted path ("addr.path") and its JSON text, type first: what drift compares.</summary>
    public static IReadOnlyDictionary<string, string> Leaves(NetdevOptions options)
    {
        var leaves = new Dictionary<string, string>(StringComparer.Ordinal);
        void Add(string path, JsonNode? node)
        {
            if (node is JsonObject obj)
            {
                foreach (var (name, child) in obj)
                {
                    Add(path.Length == 0 ? name : $"{path}.{name}", child);
                }
            }
            else if (path != "id")
            {
                leaves[path] = node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : node?.ToJsonString() ?? "null";
            }
        }

        Add(string.Empty, NetdevCodec.WriteAdd(options));
        return leaves;
    }

    private static OptionNode ToNode(object? value, string path) => value switch
    {
        string text => new OptionText(text),
        bool flag => new OptionText(flag ? "on" : "off"),
        sbyte or byte or short or ushort or int or uint or long or ulong => new OptionText(Convert.ToString(value, CultureInfo.InvariantCulture)!),
        IDictionary table => ToMap(table, path),
        IEnumerable items => new OptionArray([.. items.Cast<object?>().Select((item, i) => ToNode(item, $"{path}[{i}]"))]),
        _ => throw ConfigurationSection.Error(path, $"expected a string, a number, $true, $false, a hashtable or a list, got {value ?? "$null"}"),
    };

    private static OptionMap ToMap(IDictionary table, string path)
    {
        var map = new OptionMap(isJson: false);
        foreach (DictionaryEntry entry in table)
        {
            string key = ConfigurationSection.ToString(entry.Key, path);
            map.Set(key.ToLowerInvariant(), ToNode(entry.Value, ConfigurationSection.Join(path, key)));
        }

        return map;
    }

    private static object? ToValue(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => ToTable(element),
        JsonValueKind.Array => ToList(element),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.GetInt64(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    /// <summary>A list; a list of QAPI's String ({"str": ...}, user's hostfwd) as plain strings, which read back the same.</summary>
    private static object?[] ToList(JsonElement element) =>
        [.. element.EnumerateArray().Select(item =>
            item is { ValueKind: JsonValueKind.Object } && item.EnumerateObject().Count() == 1 && item.TryGetProperty("str", out var str) ? str.GetString() : ToValue(item))];

    private static OrderedDictionary ToTable(JsonElement element)
    {
        var table = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
        foreach (var member in element.EnumerateObject())
        {
            table[member.Name] = ToValue(member.Value);
        }

        return table;
    }
}
