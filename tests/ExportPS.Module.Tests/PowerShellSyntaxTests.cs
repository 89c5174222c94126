using System.Diagnostics;
using Xunit;

namespace ExportPS.Module.Tests;

/// <summary>
/// Parses the repository's PowerShell (scripts, the DSC module, manifests, format-file script blocks) with the
/// tree-sitter PowerShell grammar, run by tests/lint/check-powershell.js under node: pwsh is not available here, but
/// its syntax can still be checked. The samples under tests/lint/samples check the checker itself.
/// </summary>
public sealed class PowerShellSyntaxTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static readonly string RepoRoot = FindRepoRoot();

    private static string LintDir => Path.Combine(RepoRoot, "tests", "lint");

    [Fact]
    public void EveryPowerShellFileParses()
    {
        var (exitCode, output) = RunChecker();

        Assert.True(exitCode == 0, $"PowerShell syntax errors (exit {exitCode}):\n{output}");
        Assert.Contains(" 0 syntax errors", output);
    }

    [Fact]
    public void TrickyValidConstructsParse()
    {
        var (exitCode, output) = RunChecker(Path.Combine(LintDir, "samples", "valid-constructs.ps1"));

        Assert.True(exitCode == 0, $"the checker rejects valid PowerShell (exit {exitCode}):\n{output}");
    }

    [Theory]
    [InlineData("broken-unclosed-brace.ps1.sample", "1:1: ERROR")]
    [InlineData("broken-here-string.ps1.sample", "1:1: ERROR")]
    [InlineData("broken-stray-paren.ps1.sample", "2:14: ERROR")]
    [InlineData("broken-format-scriptblock.ps1xml.sample", "17:30: ERROR")]
    public void BrokenPowerShellIsReported(string sample, string expectedError)
    {
        var (exitCode, output) = RunChecker(Path.Combine(LintDir, "samples", sample));

        Assert.True(exitCode == 1, $"the checker accepts broken PowerShell (exit {exitCode}):\n{output}");
        Assert.Contains($"{sample}:{expectedError}", output);
    }

    private static (int ExitCode, string Output) RunChecker(params string[] files)
    {
        var node = FindOnPath("node") ?? throw new InvalidOperationException(
            "node (Node.js 18+) is not installed: the PowerShell syntax check needs it (tests/run.sh installs the checker)");
        Assert.True(Directory.Exists(Path.Combine(LintDir, "node_modules", "tree-sitter-powershell")),
            "the PowerShell syntax checker is not installed: run npm install --no-package-lock --prefix tests/lint (tests/run.sh does)");

        var start = new ProcessStartInfo(node)
        {
            WorkingDirectory = RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(LintDir, "check-powershell.js"));
        foreach (var file in files)
        {
            start.ArgumentList.Add(file);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            Assert.True(process.WaitForExit(Timeout), $"the PowerShell syntax check did not finish in {Timeout.TotalSeconds} s");
            process.WaitForExit();
            return (process.ExitCode, stdout.Result + stderr.Result);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ExportPS.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"ExportPS.sln not found above {AppContext.BaseDirectory}");
    }
}
