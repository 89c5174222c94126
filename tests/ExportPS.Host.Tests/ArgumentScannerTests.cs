using ExportPS.Host.CommandLine;
using Xunit;

namespace ExportPS.Host.Tests;

public class ArgumentScannerTests
{
    [Fact]
    public void Options_keep_their_order_in_both_spellings()
    {
        var scanned = ArgumentScanner.Scan(["--object", "iothread,id=t", "--blockdev=driver=null,node-name=n", "--nbd-server", "addr.type=unix,addr.path=/s",
            "--export", "nbd,id=e,node-name=n"]);

        Assert.Equal(HostAction.Run, scanned.Action);
        Assert.Equal(
            [new HostOption("object", "iothread,id=t"), new HostOption("blockdev", "driver=null,node-name=n"),
             new HostOption("nbd-server", "addr.type=unix,addr.path=/s"), new HostOption("export", "nbd,id=e,node-name=n")],
            scanned.Options);
    }

    [Fact]
    public void An_argument_may_start_with_dashes_or_be_empty()
    {
        var scanned = ArgumentScanner.Scan(["--blockdev", "--x", "--export", ""]);

        Assert.Equal([new HostOption("blockdev", "--x"), new HostOption("export", "")], scanned.Options);
    }

    [Fact]
    public void No_arguments_is_an_empty_run()
    {
        var scanned = ArgumentScanner.Scan([]);

        Assert.Equal(HostAction.Run, scanned.Action);
        Assert.Empty(scanned.Options);
    }

    [Theory]
    [InlineData("Help", "--help")]
    [InlineData("Help", "-h")]
    [InlineData("Version", "--version")]
    [InlineData("Version", "-V")]
    [InlineData("Help", "--blockdev", "driver=file", "--help")]
    [InlineData("Help", "--help", "--bogus")]
    [InlineData("Version", "--export", "junk", "-V", "--help")]
    public void Help_and_version_win_over_options_before_them(string action, params string[] args)
    {
        Assert.Equal(action, ArgumentScanner.Scan(args).Action.ToString());
    }

    [Theory]
    [InlineData("unrecognized option '--bogus'", "--bogus")]
    [InlineData("unrecognized option '--bogus'", "--bogus", "--help")]
    [InlineData("unrecognized option '--daemonize=x'", "--daemonize=x")]
    [InlineData("invalid option -- 'b'", "-blockdev", "driver=null")]
    [InlineData("option '--blockdev' requires an argument", "--blockdev")]
    [InlineData("option '--export' requires an argument", "--blockdev", "null,node-name=n", "--export")]
    [InlineData("option '--help' doesn't allow an argument", "--help=1")]
    [InlineData("foo: Unexpected argument", "foo")]
    [InlineData("-: Unexpected argument", "-")]
    [InlineData("x: Unexpected argument", "--", "x")]
    public void Bad_command_lines_are_refused_before_anything_runs(string message, params string[] args)
    {
        Assert.Equal(message, Assert.Throws<CommandLineException>(() => ArgumentScanner.Scan(args)).Message);
    }
}
