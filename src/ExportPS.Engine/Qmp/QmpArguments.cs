using System.Text.Json;

namespace ExportPS.Engine.Qmp;

/// <summary>
/// Reads one JSON object of command arguments the way QEMU's input visitor does: members are taken by name and type,
/// nested names are reported with their full path ("addr.data.port", "bitmaps[0].name"), and <see cref="Finish"/>
/// rejects every member nobody asked for. Error texts are QEMU's.
/// </summary>
internal sealed class QmpArguments
{
    private static readonly JsonElement NoArguments = JsonDocument.Parse("{}").RootElement;

    private readonly JsonElement _object;
    private readonly string _path;
    private readonly HashSet<string> _taken = new(StringComparer.Ordinal);

    private QmpArguments(JsonElement obj, string path)
    {
        _object = obj;
        _path = path;
    }

    /// <summary>The top-level arguments; <paramref name="arguments"/> null means none were given.</summary>
    public static QmpArguments Root(JsonElement? arguments) =>
        new(arguments ?? NoArguments, string.Empty);

    public string RequiredString(string name) => OptionalString(name) ?? throw Missing(name);

    public string? OptionalString(string name) =>
        Take(name) is { } value ? value.ValueKind == JsonValueKind.String ? value.GetString()! : throw WrongType(name, "string") : null;

    public bool? OptionalBool(string name) => Take(name) is { } value
        ? value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw WrongType(name, "boolean"),
        }
        : null;

    public long RequiredInt(string name, long min, long max) => OptionalInt(name, min, max) ?? throw Missing(name);

    public long? OptionalInt(string name, long min, long max)
    {
        if (Take(name) is not { } value)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out long number))
        {
            throw WrongType(name, "integer");
        }

        if (number < min || number > max)
        {
            throw QmpException.Generic($"Parameter '{PathOf(name)}' expects a value between {min} and {max}");
        }

        return number;
    }

    /// <summary>A QAPI enum member: the lower-case, dash-separated form of a .NET enum name (VhostUserBlk is vhost-user-blk).</summary>
    public T? OptionalEnum<T>(string name) where T : struct, Enum
    {
        if (OptionalString(name) is not { } text)
        {
            return null;
        }

        return QapiName.TryParse<T>(text, out var member) ? member : throw DoesNotAccept(name, text);
    }

    public T RequiredEnum<T>(string name) where T : struct, Enum => OptionalEnum<T>(name) ?? throw Missing(name);

    public QmpArguments RequiredObject(string name) => OptionalObject(name) ?? throw Missing(name);

    public QmpArguments? OptionalObject(string name) => Take(name) is { } value
        ? value.ValueKind == JsonValueKind.Object ? new QmpArguments(value, PathOf(name)) : throw WrongType(name, "object")
        : null;

    /// <summary>An array member; each element is handed to <paramref name="read"/> with its path ("bitmaps[0]").</summary>
    public List<T>? OptionalList<T>(string name, Func<JsonElement, string, T> read)
    {
        if (Take(name) is not { } value)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw WrongType(name, "array");
        }

        var items = new List<T>();
        int index = 0;
        foreach (var element in value.EnumerateArray())
        {
            items.Add(read(element, $"{PathOf(name)}[{index++}]"));
        }

        return items;
    }

    /// <summary>Reads an object found inside an array element.</summary>
    public static QmpArguments Nested(JsonElement obj, string path) => new(obj, path);

    /// <summary>Throws for the first member that no reader asked for.</summary>
    public void Finish()
    {
        foreach (var member in _object.EnumerateObject())
        {
            if (!_taken.Contains(member.Name))
            {
                throw QmpException.Generic($"Parameter '{PathOf(member.Name)}' is unexpected");
            }
        }
    }

    public QmpException Missing(string name) => QmpException.Generic($"Parameter '{PathOf(name)}' is missing");

    public QmpException DoesNotAccept(string name, string value) =>
        QmpException.Generic($"Parameter '{PathOf(name)}' does not accept value '{value}'");

    public static QmpException WrongTypeAt(string path, string expected) =>
        QmpException.Generic($"Invalid parameter type for '{path}', expected: {expected}");

    private JsonElement? Take(string name)
    {
        _taken.Add(name);
        return _object.TryGetProperty(name, out var value) ? value : null;
    }

    private QmpException WrongType(string name, string expected) => WrongTypeAt(PathOf(name), expected);

    private string PathOf(string name) => _path.Length == 0 ? name : $"{_path}.{name}";
}
