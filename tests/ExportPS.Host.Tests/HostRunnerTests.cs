using ExportPS.Host;
using Xunit;

namespace ExportPS.Host.Tests;

/// <summary>The host's runner in-process, with the stop signal already given, for everything that needs no NBD server.</summary>
public class HostRunnerTests
{
    private static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var stopped = new CancellationTokenSource();
        stopped.Cancel();
        int exitCode = HostRunner.Run(args, output, error, stopped.Token);
        return (exitCode, output.ToString(), error.ToString());
    }

    [Fact]
    public void Options_run_in_order_and_a_stop_exits_zero()
    {
        var (exitCode, output, error) = Run("--object", "iothread,id=io0", "--blockdev", "driver=null,node-name=base",
            "--blockdev", """{"driver":"null-co","node-name":"top","size":4096}""");

        Assert.Equal(string.Empty, error);
        Assert.Equal(0, exitCode);
        Assert.Contains("2 block node(s), no NBD server", output);
    }

    [Fact]
    public void Raw_format_over_a_file_node_as_qemu_storage_daemon_writes_it()
    {
        using var directory = new TempDirectory();
        string image = directory.File("disk.img");
        File.WriteAllBytes(image, new byte[65536]);
        var (exitCode, output, error) = Run("--blockdev", $"driver=file,node-name=proto,filename={image}",
            "--blockdev", "driver=raw,node-name=disk,file=proto");

        Assert.Equal(string.Empty, error);
        Assert.Equal(0, exitCode);
        Assert.Contains("2 block node(s)", output);
    }

    [Fact]
    public void A_parse_error_is_one_line_naming_the_option()
    {
        var (exitCode, output, error) = Run("--blockdev", "driver=file");

        Assert.Equal(1, exitCode);
        Assert.Equal("exportps-host: --blockdev driver=file: Parameter 'filename' is missing" + Environment.NewLine, error);
        Assert.Equal(string.Empty, output);
    }

    [Fact]
    public void An_engine_refusal_is_one_line_naming_the_option()
    {
        var (exitCode, _, error) = Run("--blockdev", "null,node-name=a", "--blockdev", "driver=null,node-name=a");

        Assert.Equal(1, exitCode);
        Assert.Equal("exportps-host: --blockdev driver=null,node-name=a: Duplicate nodes with node-name='a'" + Environment.NewLine, error);
    }

    [Fact]
    public void Options_are_applied_one_by_one_so_the_first_failing_one_is_reported()
    {
        // qemu-storage-daemon runs each option before parsing the next: the export fails before the bad blockdev is read.
        var (exitCode, _, error) = Run("--export", "type=nbd,id=e,node-name=missing", "--blockdev", "driver=file");

        Assert.Equal(1, exitCode);
        Assert.StartsWith("exportps-host: --export type=nbd,id=e,node-name=missing: ", error);
        Assert.Single(error.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Invalid_node_name_is_refused_by_the_engine()
    {
        var (exitCode, _, error) = Run("--blockdev", "null,node-name=1a");

        Assert.Equal(1, exitCode);
        Assert.StartsWith("exportps-host: --blockdev null,node-name=1a: Invalid node-name '1a'", error);
    }

    [Fact]
    public void Scan_errors_come_before_any_option_runs()
    {
        var (exitCode, output, error) = Run("--blockdev", "driver=file", "--bogus");

        Assert.Equal(1, exitCode);
        Assert.Equal("exportps-host: unrecognized option '--bogus'" + Environment.NewLine, error);
        Assert.Equal(string.Empty, output);
    }

    [Fact]
    public void Help_lists_every_option_and_exits_zero()
    {
        var (exitCode, output, error) = Run("--blockdev", "junk", "--help");

        Assert.Equal(0, exitCode);
        Assert.Equal(string.Empty, error);
        Assert.StartsWith("Usage: exportps-host [options]", output);
        foreach (string option in new[] { "--blockdev", "--nbd-server", "--export", "--object", "--version" })
        {
            Assert.Contains(option, output);
        }
    }

    [Fact]
    public void Version_names_the_program_and_exits_zero()
    {
        var (exitCode, output, _) = Run("-V");

        Assert.Equal(0, exitCode);
        Assert.Matches(@"^exportps-host version \d+\.\d+\.\d+ \(ExportPS\)\r?\n$", output);
    }

    [Theory]
    [InlineData(0L, "0 bytes")]
    [InlineData(512L, "512 bytes")]
    [InlineData(1536L, "1.5 KiB")]
    [InlineData(1L << 30, "1 GiB")]
    [InlineData(3L << 40, "3 TiB")]
    public void Sizes_print_in_binary_units(long bytes, string text)
    {
        Assert.Equal(text, ServingSummary.FormatSize(bytes));
    }
}
