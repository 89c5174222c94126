using System.Reflection;
using System.Text.RegularExpressions;
using ExportPS.Engine.Errors;
using Xunit;

namespace ExportPS.Module.Tests;

/// <summary>
/// Checks the PowerShell text nobody can run here (help examples, the about topic, the Pester tests) against the
/// built module: the commands they call exist and the error ids they name are the engine's.
/// </summary>
public sealed partial class ModuleTextTests(ModuleFiles module) : IClassFixture<ModuleFiles>
{
    /// <summary>Error ids PowerShell's parameter binder produces, which the Pester tests expect for binding failures.</summary>
    private static readonly HashSet<string> BinderErrorIds = new(StringComparer.Ordinal) { "ParameterArgumentValidationError", "AmbiguousParameterSet" };

    private static readonly HashSet<string> EngineErrorIds = typeof(ErrorIds)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (string)f.GetRawConstantValue()!)
        .ToHashSet(StringComparer.Ordinal);

    private IEnumerable<string> PesterFiles() => Directory.GetFiles(Path.Combine(module.RepoRoot, "tests"), "*.ps1");

    private IEnumerable<string> HelpFiles() => Directory.GetFiles(module.DocsDir, "*.md");

    [Fact]
    public void Pester_tests_exist_for_every_cmdlet()
    {
        string pester = string.Join('\n', Directory.GetFiles(Path.Combine(module.RepoRoot, "tests"), "*.Tests.ps1").Select(File.ReadAllText));
        Assert.All(module.Cmdlets, c => Assert.True(Regex.IsMatch(pester, $@"(?<![-\w]){c.Name}(?![-\w])"), $"no Pester test calls {c.Name}"));
    }

    [Fact]
    public void Help_and_tests_call_only_commands_the_module_exports()
    {
        var exported = module.Cmdlets.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var nouns = module.Cmdlets.Select(c => c.Noun).ToHashSet(StringComparer.Ordinal);
        foreach (var file in PesterFiles().Concat(HelpFiles()))
        {
            foreach (Match m in CommandRegex().Matches(File.ReadAllText(file)))
            {
                // Only commands that look like ours: an ExportPS noun, or a noun starting like one (a typo such as Get-BlockNodes).
                string noun = m.Groups["noun"].Value;
                if (nouns.Any(n => noun.StartsWith(n, StringComparison.Ordinal) || n.StartsWith(noun, StringComparison.Ordinal)))
                {
                    Assert.True(exported.Contains(m.Value), $"{Path.GetFileName(file)} calls {m.Value}, which the module does not export");
                }
            }
        }
    }

    [Fact]
    public void Pester_tests_expect_only_real_error_ids()
    {
        int checkedIds = 0;
        foreach (var file in PesterFiles())
        {
            foreach (Match m in ExpectedErrorIdRegex().Matches(File.ReadAllText(file)))
            {
                string id = m.Groups["id"].Value;
                Assert.True(EngineErrorIds.Contains(id) || BinderErrorIds.Contains(id), $"{Path.GetFileName(file)} expects error id {id}, which neither the engine nor PowerShell's binder has");
                checkedIds++;
            }
        }

        Assert.True(checkedIds > 30, $"only {checkedIds} expected error ids found: the pattern no longer matches the tests");
    }

    [Fact]
    public void Help_pages_list_only_real_error_ids()
    {
        foreach (var file in HelpFiles().Where(f => !Path.GetFileName(f).StartsWith("about_", StringComparison.Ordinal)))
        {
            string text = File.ReadAllText(file);
            int notes = text.IndexOf("\n## NOTES", StringComparison.Ordinal);
            Assert.True(notes >= 0, $"{Path.GetFileName(file)} has no NOTES section");
            string section = text[notes..text.IndexOf("\n## RELATED LINKS", notes, StringComparison.Ordinal)];
            foreach (Match m in ErrorIdListRegex().Matches(section))
            {
                Assert.True(EngineErrorIds.Contains(m.Groups["id"].Value), $"{Path.GetFileName(file)} lists error id {m.Groups["id"].Value}, which the engine does not have");
            }
        }
    }

    [GeneratedRegex(@"(?<![-\w])(?<verb>[A-Z][a-z]+)-(?<noun>[A-Z][A-Za-z]+)(?![-\w])")]
    private static partial Regex CommandRegex();

    /// <summary>-ErrorId X, -ErrorId 'X,*', ErrorId = 'X' (test cases) and Assert-EngineError ... -ErrorId X.</summary>
    [GeneratedRegex(@"ErrorId\s*(?:=\s*)?['""]?(?<id>[A-Z][A-Za-z]+)")]
    private static partial Regex ExpectedErrorIdRegex();

    /// <summary>In NOTES, ids are listed before their category in parentheses, or joined with "and".</summary>
    [GeneratedRegex(@"(?<id>[A-Z][a-z]+(?:[A-Z][a-z]+)+)(?=\s+(?:\(|and\s))")]
    private static partial Regex ErrorIdListRegex();
}
