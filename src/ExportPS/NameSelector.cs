using System.Management.Automation;

namespace ExportPS;

/// <summary>
/// How a Name or Id parameter selects objects. Engine names are case-sensitive as in QEMU, so a literal must match
/// exactly; a wildcard pattern is a search aid and ignores case, as PowerShell users expect.
/// </summary>
internal static class NameSelector
{
    public static bool IsPattern(string value) => WildcardPattern.ContainsWildcardCharacters(value);

    public static bool Matches(string patternOrName, string name) => IsPattern(patternOrName)
        ? WildcardPattern.Get(patternOrName, WildcardOptions.IgnoreCase).IsMatch(name)
        : string.Equals(patternOrName, name, StringComparison.Ordinal);
}
