using System.Text.RegularExpressions;

namespace ExportPS.Module.Tests;

/// <summary>
/// The fields of a module manifest (.psd1) the tests check, read without PowerShell: top-level `Key = 'value'` and
/// `Key = @('a', 'b')` entries with single-quoted strings, which is how ExportPS.psd1 is written.
/// </summary>
public sealed partial class ModuleManifest
{
    private readonly Dictionary<string, string[]> _fields;

    private ModuleManifest(Dictionary<string, string[]> fields) => _fields = fields;

    public static ModuleManifest Read(string path)
    {
        string text = string.Join('\n', File.ReadAllLines(path).Select(l => CommentRegex().Replace(l, string.Empty)));
        var fields = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        foreach (Match m in FieldRegex().Matches(text))
        {
            string value = m.Groups["value"].Value;
            fields[m.Groups["key"].Value] = value.StartsWith("@(", StringComparison.Ordinal)
                ? StringRegex().Matches(value).Select(s => s.Groups[1].Value.Replace("''", "'")).ToArray()
                : [StringRegex().Match(value).Groups[1].Value.Replace("''", "'")];
        }

        return new ModuleManifest(fields);
    }

    public string? Scalar(string key) => _fields.TryGetValue(key, out var v) && v.Length == 1 ? v[0] : null;

    public IReadOnlyList<string> List(string key) => _fields.TryGetValue(key, out var v) ? v : [];

    [GeneratedRegex(@"^\s*(?<key>[A-Za-z]+)\s*=\s*(?<value>@\([^)]*\)|'(?:[^']|'')*')", RegexOptions.Multiline)]
    private static partial Regex FieldRegex();

    [GeneratedRegex(@"'((?:[^']|'')*)'")]
    private static partial Regex StringRegex();

    [GeneratedRegex(@"#.*$")]
    private static partial Regex CommentRegex();
}
