using System.Text.RegularExpressions;

namespace ExportPS.Module.Tests;

/// <summary>A PlatyPS markdown help page: its title, examples and the parameters it documents with their yaml blocks.</summary>
public sealed partial class HelpPage
{
    private HelpPage(string title, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> parameters, IReadOnlyList<string> sections, int examples)
    {
        Title = title;
        Parameters = parameters;
        Sections = sections;
        Examples = examples;
    }

    public string Title { get; }

    /// <summary>Parameter name → yaml fields (Type, Parameter Sets, Required, Accept wildcard characters, ...).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Parameters { get; }

    public IReadOnlyList<string> Sections { get; }

    /// <summary>Code blocks under EXAMPLES.</summary>
    public int Examples { get; }

    public static HelpPage Read(string path)
    {
        var lines = File.ReadAllLines(path);
        string title = lines.FirstOrDefault(l => l.StartsWith("# ", StringComparison.Ordinal))?[2..].Trim() ?? string.Empty;
        var sections = lines.Where(l => l.StartsWith("## ", StringComparison.Ordinal)).Select(l => l[3..].Trim()).ToArray();

        var parameters = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        int examples = 0;
        string section = string.Empty;
        string? parameter = null;
        Dictionary<string, string>? yaml = null;
        foreach (var line in lines)
        {
            if (line.StartsWith("## ", StringComparison.Ordinal))
            {
                section = line[3..].Trim();
                parameter = null;
            }
            else if (section == "EXAMPLES" && line.StartsWith("```powershell", StringComparison.Ordinal))
            {
                examples++;
            }
            else if (section == "PARAMETERS" && ParameterHeading().Match(line) is { Success: true } heading)
            {
                parameter = heading.Groups[1].Value;
                parameters[parameter] = new Dictionary<string, string>(StringComparer.Ordinal);
            }
            else if (parameter is not null && line == "```yaml")
            {
                yaml = (Dictionary<string, string>)parameters[parameter];
            }
            else if (yaml is not null && line == "```")
            {
                yaml = null;
            }
            else if (yaml is not null && line.IndexOf(':') is > 0 and var colon)
            {
                yaml[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }

        return new HelpPage(title, parameters, sections, examples);
    }

    [GeneratedRegex(@"^### -(\w+)\s*$")]
    private static partial Regex ParameterHeading();
}
