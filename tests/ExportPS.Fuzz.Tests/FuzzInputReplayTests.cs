using ExportPS.Fuzz;
using Xunit;

namespace ExportPS.Fuzz.Tests;

/// <summary>
/// Replays fuzz/corpus/TARGET/* (the seeds) and fuzz/crashes/TARGET/* (every crash and hang afl-fuzz found, kept once
/// fixed) through the same target code afl-fuzz runs, so a fixed crash stays fixed without AFL.
/// </summary>
public sealed class FuzzInputReplayTests
{
    private static readonly string Root = FindRoot();

    public static TheoryData<string, string> Inputs()
    {
        var inputs = new TheoryData<string, string>();
        foreach (string kind in new[] { "corpus", "crashes" })
        {
            string directory = Path.Combine(Root, "fuzz", kind);
            if (!Directory.Exists(directory))
            {
                continue;
            }

            foreach (string targetDirectory in Directory.GetDirectories(directory).Order(StringComparer.Ordinal))
            {
                foreach (string file in Directory.GetFiles(targetDirectory).Order(StringComparer.Ordinal))
                {
                    inputs.Add(Path.GetFileName(targetDirectory), Path.GetRelativePath(Root, file));
                }
            }
        }

        return inputs;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void The_target_handles_the_input(string target, string file)
    {
        var found = FuzzTargets.Find(target);
        Assert.True(found is not null, $"{file} is in the folder of an unknown target '{target}'");
        found.Run(File.ReadAllBytes(Path.Combine(Root, file)));
    }

    [Fact]
    public void Every_target_has_seeds_and_every_input_folder_a_target()
    {
        foreach (var target in FuzzTargets.All)
        {
            string seeds = Path.Combine(Root, "fuzz", "corpus", target.Name);
            Assert.True(Directory.Exists(seeds) && Directory.GetFiles(seeds).Length > 0, $"{target.Name} has no seeds in {seeds}");
        }

        foreach (string kind in new[] { "corpus", "crashes" })
        {
            string directory = Path.Combine(Root, "fuzz", kind);
            foreach (string targetDirectory in Directory.Exists(directory) ? Directory.GetDirectories(directory) : [])
            {
                Assert.NotNull(FuzzTargets.Find(Path.GetFileName(targetDirectory)));
            }
        }
    }

    [Fact]
    public void A_bug_exception_that_the_code_under_test_swallows_still_fails_the_target()
    {
        var watch = BugWatch.Open();
        int[] one = [1];
        try
        {
            _ = one[Environment.ProcessorCount + 1];
        }
        catch (IndexOutOfRangeException)
        {
        }

        Assert.Throws<FuzzBugException>(watch.Dispose);
    }

    [Fact]
    public void A_refusal_the_code_under_test_documents_is_no_bug()
    {
        using var watch = BugWatch.Open();
        try
        {
            throw new EndOfStreamException("the peer closed");
        }
        catch (EndOfStreamException)
        {
        }
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ExportPS.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no ExportPS.sln above {AppContext.BaseDirectory}");
    }
}
