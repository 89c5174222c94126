using System.Collections;
using System.Globalization;
using ExportPS.Engine.Errors;

namespace ExportPS.Engine.Configuration;

/// <summary>
/// One table of a configuration (a PowerShell hashtable or .psd1 section) read against the keys it may have. Every error
/// names the path of the offending value ("BlockNodes[1].Size"), so a user can find it in a large file.
/// </summary>
internal sealed class ConfigurationSection
{
    private readonly Dictionary<string, object?> _values = new(StringComparer.Ordinal);

    public ConfigurationSection(object? table, string path, params ConfigurationKey[] keys)
    {
        Path = path;
        if (table is not IDictionary dictionary)
        {
            throw Error(path, $"expected a hashtable, got {Describe(table)}");
        }

        var given = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in dictionary)
        {
            if (entry.Key is not string key)
            {
                throw Error(path, $"keys must be strings, got {Describe(entry.Key)}");
            }

            var known = keys.FirstOrDefault(k => k.Matches(key))
                ?? throw Error(Join(path, key), $"unknown key; expected one of {string.Join(", ", keys.Select(k => k.Name))}");
            if (given.TryGetValue(known.Name, out var earlier))
            {
                throw Error(Join(path, known.Name), $"given twice, as '{earlier}' and as '{key}'");
            }

            given.Add(known.Name, key);
            _values.Add(known.Name, entry.Value);
        }
    }

    public string Path { get; }

    public bool Has(string key) => _values.ContainsKey(key);

    public string PathOf(string key) => Join(Path, key);

    public object? Raw(string key) => _values.GetValueOrDefault(key);

    public void Require(string key)
    {
        if (!Has(key))
        {
            throw Error(PathOf(key), "required key is missing");
        }
    }

    public string RequiredString(string key)
    {
        Require(key);
        return String(key)!;
    }

    public string? String(string key) => Has(key) ? ToString(Raw(key), PathOf(key)) : null;

    /// <summary>A QEMU id or node name: a letter first, then letters, digits, '-', '.', '_'.</summary>
    public string RequiredName(string key) => RequireName(RequiredString(key), PathOf(key));

    public string? Name(string key) => String(key) is { } name ? RequireName(name, PathOf(key)) : null;

    public bool Bool(string key, bool defaultValue) => Has(key)
        ? Raw(key) is bool value ? value : throw Error(PathOf(key), $"expected $true or $false, got {Describe(Raw(key))}")
        : defaultValue;

    public long? Integer(string key, long min, long max) => Has(key) ? ToInteger(Raw(key), PathOf(key), min, max) : null;

    public T Enum<T>(string key, T defaultValue, IReadOnlyDictionary<string, T> spellings)
        where T : struct, System.Enum =>
        Has(key) ? ToEnum(Raw(key), PathOf(key), spellings) : defaultValue;

    /// <summary>A list; a single value counts as a list of one (PowerShell unrolls one-element arrays).</summary>
    public IReadOnlyList<object?> List(string key) => Has(key) ? ToList(Raw(key)) : [];

    /// <summary>Refuses a key that does not apply to this item (a Size on a file node).</summary>
    public void Forbid(string key, string reason)
    {
        if (Has(key))
        {
            throw Error(PathOf(key), reason);
        }
    }

    public static IReadOnlyList<object?> ToList(object? value) => value switch
    {
        null => [],
        string or IDictionary => [value],
        IEnumerable items => items.Cast<object?>().ToArray(),
        _ => [value],
    };

    public static string ToString(object? value, string path) =>
        value as string ?? throw Error(path, $"expected a string, got {Describe(value)}");

    public static string RequireName(string name, string path) =>
        Model.QemuName.IsValid(name)
            ? name
            : throw Error(path, $"invalid name '{name}': it must start with a letter and contain only letters, digits, '-', '.' and '_', at most {Model.QemuName.MaxLength} characters");

    public static long ToInteger(object? value, string path, long min, long max)
    {
        long? number = value switch
        {
            sbyte or byte or short or ushort or int or uint or long => Convert.ToInt64(value, CultureInfo.InvariantCulture),
            ulong u when u <= long.MaxValue => (long)u,
            double d when Math.Floor(d) == d && Math.Abs(d) < 9.2e18 => (long)d,
            float f when Math.Floor(f) == f && Math.Abs(f) < 9.2e18 => (long)f,
            decimal m when decimal.Truncate(m) == m && m >= long.MinValue && m <= long.MaxValue => (long)m,
            // QEMU's JSON carries ports as strings ("10809").
            string s when long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long parsed) => parsed,
            _ => null,
        };
        if (number is not { } n)
        {
            throw Error(path, $"expected a number, got {Describe(value)}");
        }

        if (n < min || n > max)
        {
            throw Error(path, $"{n} is out of range: expected {min} to {max}");
        }

        return n;
    }

    public static T ToEnum<T>(object? value, string path, IReadOnlyDictionary<string, T> spellings)
        where T : struct, System.Enum
    {
        string text = ToString(value, path);
        return spellings.TryGetValue(text, out var result)
            ? result
            : throw Error(path, $"unknown value '{text}'; expected one of {string.Join(", ", spellings.Keys)}");
    }

    public static EngineException Error(string path, string message) =>
        new(ErrorIds.InvalidConfiguration, EngineErrorCategory.InvalidArgument, $"{path}: {message}") { Target = path };

    public static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;

    private static string Describe(object? value) => value switch
    {
        null => "$null",
        string s => $"the string '{s}'",
        bool b => b ? "$true" : "$false",
        IDictionary => "a hashtable",
        IEnumerable => "a list",
        _ => $"{value} ({value.GetType().Name})",
    };
}
