using System.Globalization;
using System.Text.Json;

namespace ExportPS.Host.CommandLine;

/// <summary>
/// Reads one object of an option tree against what the option expects, the way QEMU's keyval and JSON input visitors do:
/// keyval text is converted (on/off, sizes with suffixes), JSON values must already have the right type, a missing
/// mandatory key and a key nobody asked for are errors. Error texts are QEMU's.
/// </summary>
internal sealed class OptionReader(OptionMap map, string prefix = "")
{
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public string? String(string key) => Scalar(key, "string") switch
    {
        null => null,
        OptionText text => text.Value,
        OptionJsonScalar { Value.ValueKind: JsonValueKind.String } json => json.Value.GetString()!,
        _ => throw WrongType(key, "string"),
    };

    public string RequireString(string key) => String(key) ?? throw Missing(key);

    public bool? Bool(string key) => Scalar(key, "boolean") switch
    {
        null => null,
        OptionText text => ParseBool(text.Value) ?? throw new CommandLineException($"Parameter '{PathOf(key)}' expects 'on' or 'off'"),
        OptionJsonScalar { Value.ValueKind: JsonValueKind.True } => true,
        OptionJsonScalar { Value.ValueKind: JsonValueKind.False } => false,
        _ => throw WrongType(key, "boolean"),
    };

    /// <summary>A byte count: keyval takes suffixes (1G, 512k), JSON a plain integer.</summary>
    public long? Size(string key)
    {
        long? size = Scalar(key, "integer") switch
        {
            null => null,
            OptionText text => QemuSize.TryParse(text.Value, out long parsed) ? parsed : -1,
            OptionJsonScalar { Value.ValueKind: JsonValueKind.Number } json => json.Value.TryGetInt64(out long number) ? number
                : json.Value.TryGetDouble(out double real) && real == Math.Floor(real) ? -1 : throw WrongType(key, "integer"),
            _ => throw WrongType(key, "integer"),
        };
        return size < 0 ? throw new CommandLineException($"Parameter '{PathOf(key)}' expects {QemuSize.Description}") : size;
    }

    public uint? UInt32(string key)
    {
        long? value = Scalar(key, "integer") switch
        {
            null => null,
            OptionText text => long.TryParse(text.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long parsed)
                ? parsed
                : throw new CommandLineException($"Parameter '{PathOf(key)}' expects integer"),
            OptionJsonScalar { Value.ValueKind: JsonValueKind.Number } json => json.Value.TryGetInt64(out long number) ? number : -1,
            _ => throw WrongType(key, "integer"),
        };
        return value is < 0 or > uint.MaxValue ? throw new CommandLineException($"Parameter '{PathOf(key)}' expects uint32_t") : (uint?)value;
    }

    /// <summary>A TCP port. QEMU's schema has it as a string (a service name); ExportPS takes the number as text or JSON.</summary>
    public int? Port(string key)
    {
        string? text = Scalar(key, "string") switch
        {
            null => null,
            OptionText value => value.Value,
            OptionJsonScalar { Value.ValueKind: JsonValueKind.String or JsonValueKind.Number } json =>
                json.Value.ValueKind == JsonValueKind.String ? json.Value.GetString() : json.Value.GetRawText(),
            _ => throw WrongType(key, "string"),
        };
        if (text is null)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port <= 65535
            ? port
            : throw new CommandLineException($"Parameter '{PathOf(key)}' expects a port number from 0 to 65535, not '{text}'");
    }

    /// <summary>A nested object (keyval: dotted keys such as addr.host; JSON: an object).</summary>
    public OptionReader? Object(string key)
    {
        _read.Add(key);
        return map[key] switch
        {
            null => null,
            OptionMap child => new OptionReader(child, PathOf(key) + "."),
            _ => throw WrongType(key, "object"),
        };
    }

    /// <summary>True when <paramref name="key"/> holds an object, for options whose value may be a name or an object.</summary>
    public bool HasObject(string key) => map[key] is OptionMap;

    /// <summary>
    /// A list whose items are strings or objects (QEMU's alternates such as BlockDirtyBitmapOrStr). Keyval writes lists as
    /// key.0, key.1, ...; JSON as an array.
    /// </summary>
    public IReadOnlyList<T>? List<T>(string key, Func<string, T> fromString, Func<OptionReader, T> fromObject)
    {
        _read.Add(key);
        IReadOnlyList<OptionNode>? items = map[key] switch
        {
            null => null,
            OptionArray array => array.Items,
            OptionMap { IsJson: false } indexed => IndexedItems(indexed, PathOf(key)),
            _ => throw WrongType(key, "array"),
        };
        if (items is null)
        {
            return null;
        }

        var result = new List<T>(items.Count);
        for (int i = 0; i < items.Count; i++)
        {
            string itemPath = $"{PathOf(key)}.{i}";
            result.Add(items[i] switch
            {
                OptionText text => fromString(text.Value),
                OptionJsonScalar { Value.ValueKind: JsonValueKind.String } json => fromString(json.Value.GetString()!),
                OptionMap child => ReadAll(new OptionReader(child, itemPath + "."), fromObject),
                _ => throw new CommandLineException($"Invalid parameter type for '{itemPath}', expected: string or object"),
            });
        }

        return result;
    }

    /// <summary>Runs <paramref name="read"/> on <paramref name="reader"/>, then refuses whatever it left unread.</summary>
    public static T ReadAll<T>(OptionReader reader, Func<OptionReader, T> read)
    {
        var value = read(reader);
        reader.RejectUnexpected();
        return value;
    }

    /// <summary>QEMU's check after visiting an object: any key nobody asked for is an error.</summary>
    public void RejectUnexpected()
    {
        foreach (string key in map.Keys)
        {
            if (!_read.Contains(key))
            {
                throw new CommandLineException($"Parameter '{PathOf(key)}' is unexpected");
            }
        }
    }

    public CommandLineException Missing(string key) => new($"Parameter '{PathOf(key)}' is missing");

    public CommandLineException NotAccepted(string key, string value) => new($"Parameter '{PathOf(key)}' does not accept value '{value}'");

    public string PathOf(string key) => prefix + key;

    private OptionNode? Scalar(string key, string expected)
    {
        _read.Add(key);
        return map[key] switch
        {
            OptionMap { IsJson: false } => throw new CommandLineException($"Parameters '{PathOf(key)}.*' are unexpected"),
            OptionMap or OptionArray => throw WrongType(key, expected),
            var node => node,
        };
    }

    private CommandLineException WrongType(string key, string expected) =>
        new($"Invalid parameter type for '{PathOf(key)}', expected: {expected}");

    private static IReadOnlyList<OptionNode> IndexedItems(OptionMap indexed, string path)
    {
        var items = new OptionNode[indexed.Keys.Count];
        for (int i = 0; i < items.Length; i++)
        {
            items[i] = indexed[i.ToString(CultureInfo.InvariantCulture)]
                ?? throw new CommandLineException($"Parameter '{path}.{i}' missing");
        }

        return items;
    }

    private static bool? ParseBool(string text) => text switch
    {
        "on" or "yes" or "true" or "y" => true,
        "off" or "no" or "false" or "n" => false,
        _ => null,
    };
}
