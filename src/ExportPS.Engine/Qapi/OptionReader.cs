using System.Globalization;
using System.Text.Json;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Qmp;

namespace ExportPS.Engine.Qapi;

/// <summary>
/// Reads one object of an option tree against what the command expects, the way QEMU's keyval and JSON input visitors
/// do (QEMU reads --blockdev and blockdev-add with the same visitor): keyval text is converted (on/off, sizes with
/// suffixes), JSON values must already have the right type, a missing mandatory key and a key nobody asked for are
/// errors. Error texts are QEMU's; every error is an <see cref="ErrorIds.InvalidArgument"/>.
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
        OptionText text => ParseBool(text.Value) ?? throw Error($"Parameter '{PathOf(key)}' expects 'on' or 'off'"),
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
        return size < 0 ? throw Error($"Parameter '{PathOf(key)}' expects {QemuSize.Description}") : size;
    }

    public long? Int64(string key) => Scalar(key, "integer") switch
    {
        null => null,
        OptionText text => long.TryParse(text.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long parsed)
            ? parsed
            : throw Error($"Parameter '{PathOf(key)}' expects integer"),
        OptionJsonScalar { Value.ValueKind: JsonValueKind.Number } json when json.Value.TryGetInt64(out long number) => number,
        _ => throw WrongType(key, "integer"),
    };

    /// <summary>A QAPI number: keyval text in invariant notation, or any JSON number.</summary>
    public double? Double(string key) => Scalar(key, "number") switch
    {
        null => null,
        OptionText text => double.TryParse(text.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed)
            ? parsed
            : throw Error($"Parameter '{PathOf(key)}' expects number"),
        OptionJsonScalar { Value.ValueKind: JsonValueKind.Number } json => json.Value.GetDouble(),
        _ => throw WrongType(key, "number"),
    };

    public uint? UInt32(string key) => (uint?)Unsigned(key, uint.MaxValue, "uint32_t");

    /// <summary>A uint64 (l2tpv3's cookies): the full unsigned range, which <see cref="Int64"/> cannot hold.</summary>
    public ulong? UInt64(string key) => Scalar(key, "integer") switch
    {
        null => null,
        OptionText text => ulong.TryParse(text.Value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong parsed)
            ? parsed
            : throw Error($"Parameter '{PathOf(key)}' expects uint64_t"),
        OptionJsonScalar { Value.ValueKind: JsonValueKind.Number } json when json.Value.TryGetUInt64(out ulong number) => number,
        OptionJsonScalar { Value.ValueKind: JsonValueKind.Number } => throw Error($"Parameter '{PathOf(key)}' expects uint64_t"),
        _ => throw WrongType(key, "integer"),
    };

    public ushort? UInt16(string key) => (ushort?)Unsigned(key, ushort.MaxValue, "uint16_t");

    /// <summary>A uint16 file mode; as text also in C's octal (0700) or hex (0x1c0) notation, as QEMU reads integers.</summary>
    public ushort? FileMode(string key) => (ushort?)Unsigned(key, ushort.MaxValue, "uint16_t", radixPrefixes: true);

    private long? Unsigned(string key, long maximum, string typeName, bool radixPrefixes = false)
    {
        long? value = Scalar(key, "integer") switch
        {
            null => null,
            OptionText text => (radixPrefixes ? TryParseWithRadixPrefix(text.Value, out long parsed)
                    : long.TryParse(text.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out parsed))
                ? parsed
                : throw Error($"Parameter '{PathOf(key)}' expects integer"),
            OptionJsonScalar { Value.ValueKind: JsonValueKind.Number } json => json.Value.TryGetInt64(out long number) ? number : -1,
            _ => throw WrongType(key, "integer"),
        };
        return value < 0 || value > maximum ? throw Error($"Parameter '{PathOf(key)}' expects {typeName}") : value;
    }

    /// <summary>strtol's base 0: "0x" starts a hex number, "0" an octal one, anything else is decimal.</summary>
    private static bool TryParseWithRadixPrefix(string text, out long value)
    {
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return long.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        if (text.Length > 1 && text[0] == '0')
        {
            value = 0;
            foreach (char digit in text.AsSpan(1))
            {
                if (digit is < '0' or > '7' || value > long.MaxValue / 8)
                    return false;
                value = (value * 8) + (digit - '0');
            }

            return true;
        }

        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>
    /// A TCP port. QEMU's schema has it as a string (a service name, which QEMU resolves); ExportPS takes only the number,
    /// as text.
    /// </summary>
    public int? Port(string key)
    {
        string? text = String(key);
        if (text is null)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port <= ushort.MaxValue
            ? port
            : throw Error($"Parameter '{PathOf(key)}' expects a port number from 0 to 65535, not '{text}'");
    }

    /// <summary>A QAPI enum member: the lower-case, dash-separated form of a .NET enum name (VhostUserBlk is vhost-user-blk).</summary>
    public T? Enum<T>(string key) where T : struct, Enum =>
        String(key) is { } text ? QapiName.TryParse<T>(text, out var member) ? member : throw NotAccepted(key, text) : null;

    public T RequireEnum<T>(string key) where T : struct, Enum => Enum<T>(key) ?? throw Missing(key);

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

    public OptionReader RequireObject(string key) => Object(key) ?? throw Missing(key);

    /// <summary>True when <paramref name="key"/> holds an object, for options whose value may be a name or an object.</summary>
    public bool HasObject(string key) => map[key] is OptionMap;

    /// <summary>
    /// A list whose items are strings, objects, or either (QEMU's alternates such as BlockDirtyBitmapOrStr): a null reader
    /// refuses that kind of item as not <paramref name="itemType"/>. Keyval writes lists as key.0, key.1, ... and names
    /// items so; JSON writes an array and names items key[0].
    /// </summary>
    public IReadOnlyList<T>? List<T>(string key, string itemType, Func<string, T>? fromString, Func<OptionReader, T>? fromObject)
    {
        _read.Add(key);
        (IReadOnlyList<OptionNode>? items, bool json) = map[key] switch
        {
            null => (null, true),
            OptionArray array => (array.Items, true),
            OptionMap { IsJson: false } indexed => (IndexedItems(indexed, PathOf(key)), false),
            _ => throw WrongType(key, "array"),
        };
        if (items is null)
        {
            return null;
        }

        var result = new List<T>(items.Count);
        for (int i = 0; i < items.Count; i++)
        {
            string itemPath = json ? $"{PathOf(key)}[{i}]" : $"{PathOf(key)}.{i}";
            string? text = items[i] switch
            {
                OptionText keyval => keyval.Value,
                OptionJsonScalar { Value.ValueKind: JsonValueKind.String } scalar => scalar.Value.GetString(),
                _ => null,
            };
            result.Add((items[i], text) switch
            {
                (_, not null) when fromString is not null => fromString(text),
                (OptionMap child, _) when fromObject is not null => ReadAll(new OptionReader(child, itemPath + "."), fromObject),
                _ => throw Error($"Invalid parameter type for '{itemPath}', expected: {itemType}"),
            });
        }

        return result;
    }

    /// <summary>
    /// A list of QAPI's String (netdev user's hostfwd, guestfwd, dnssearch): JSON gives an array of {"str": ...}; keyval
    /// gives the key repeated, as QEMU's -netdev takes it (every value an item), or indexed items (key.0.str or key.0).
    /// </summary>
    public IReadOnlyList<string>? StringList(string key)
    {
        if (map[key] is OptionText { } repeated)
        {
            _read.Add(key);
            return repeated.Values;
        }

        return List(key, "object", map.IsJson ? null : text => text, item => item.RequireString("str"));
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
                throw Error($"Parameter '{PathOf(key)}' is unexpected");
            }
        }
    }

    public EngineException Missing(string key) => Error($"Parameter '{PathOf(key)}' is missing");

    public EngineException NotAccepted(string key, string value) => Error($"Parameter '{PathOf(key)}' does not accept value '{value}'");

    /// <summary>A refused option value; the message is QEMU's where QEMU has one.</summary>
    public static EngineException Error(string message) =>
        new(ErrorIds.InvalidArgument, EngineErrorCategory.InvalidArgument, message);

    public string PathOf(string key) => prefix + key;

    private OptionNode? Scalar(string key, string expected)
    {
        _read.Add(key);
        return map[key] switch
        {
            OptionMap { IsJson: false } => throw Error($"Parameters '{PathOf(key)}.*' are unexpected"),
            OptionMap or OptionArray => throw WrongType(key, expected),
            var node => node,
        };
    }

    private EngineException WrongType(string key, string expected) =>
        Error($"Invalid parameter type for '{PathOf(key)}', expected: {expected}");

    private static IReadOnlyList<OptionNode> IndexedItems(OptionMap indexed, string path)
    {
        var items = new OptionNode[indexed.Keys.Count];
        for (int i = 0; i < items.Length; i++)
        {
            items[i] = indexed[i.ToString(CultureInfo.InvariantCulture)]
                ?? throw Error($"Parameter '{path}.{i}' missing");
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
