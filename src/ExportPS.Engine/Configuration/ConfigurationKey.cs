namespace ExportPS.Engine.Configuration;

/// <summary>A key of a configuration table: its PowerShell name and the QEMU spellings that mean the same (all case-insensitive).</summary>
internal sealed record ConfigurationKey(string Name, params string[] Aliases)
{
    public bool Matches(string key) =>
        string.Equals(key, Name, StringComparison.OrdinalIgnoreCase) ||
        Aliases.Any(a => string.Equals(key, a, StringComparison.OrdinalIgnoreCase));
}
