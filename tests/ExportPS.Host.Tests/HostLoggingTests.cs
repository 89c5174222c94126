using System.Net.Sockets;
using ExportPS.Host.CommandLine;
using Xunit;

namespace ExportPS.Host.Tests;

/// <summary>--log-level and --trace: which engine events the host writes to stderr, one line each.</summary>
public sealed class HostLoggingTests : IDisposable
{
    private const string Line = @"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ";

    private readonly TempDirectory _directory = new("exportps-host-log-");

    public void Dispose() => _directory.Dispose();

    /// <summary>Runs the host in-process with an NBD export, already told to stop: the events of setting up and tearing down.</summary>
    private (int ExitCode, string[] Lines) RunExport(params string[] logging)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var stopped = new CancellationTokenSource();
        stopped.Cancel();
        int exitCode = HostRunner.Run(
            [.. logging, "--blockdev", "driver=null-co,node-name=n,size=1M", "--nbd-server", $"addr.type=unix,addr.path={_directory.File("nbd.sock")}",
             "--export", "type=nbd,id=exp,node-name=n"],
            output, error, stopped.Token);
        return (exitCode, error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static string[] Events(string[] lines) => [.. lines.Select(l => l.Split(' ')[3])];

    [Fact]
    public void Without_logging_options_no_event_is_written()
    {
        var (exitCode, lines) = RunExport();

        Assert.Equal(0, exitCode);
        Assert.Empty(lines);
    }

    [Fact]
    public void Log_level_info_writes_each_event_as_one_line_with_time_level_category_name_and_id()
    {
        var (exitCode, lines) = RunExport("--log-level", "info");

        Assert.Equal(0, exitCode);
        Assert.Matches(Line + @"info ExportPS\.Nbd nbd_server_started\[1000\] NBD server listening on unix:/.*/nbd\.sock \(tls-creds: none, max-connections: 0\)$", lines[0]);
        Assert.Matches(Line + @"info ExportPS\.Exports export_added\[2000\] Block export 'exp' added \(Nbd on node 'n', writable: False\)$", lines[1]);
        Assert.Equal(
            ["nbd_server_started[1000]", "export_added[2000]", "export_shutting_down[2001]", "export_deleted[2002]", "nbd_server_stopped[1001]"],
            Events(lines));
    }

    [Fact]
    public void Log_level_warning_omits_information_and_debug_events()
    {
        var (exitCode, lines) = RunExport("--log-level=warning");

        Assert.Equal(0, exitCode);
        Assert.Empty(lines);
    }

    [Fact]
    public void Trace_enables_the_events_whose_name_matches_whatever_their_level()
    {
        var (_, lines) = RunExport("--trace", "nbd_*");

        // nbd_export_name_added is a debug event: --trace shows it without --log-level debug.
        Assert.Equal(
            ["nbd_server_started[1000]", "nbd_export_name_added[1030]", "nbd_export_name_removed[1031]", "nbd_server_stopped[1001]"],
            Events(lines));
        Assert.Matches(Line + "debug ExportPS.Nbd nbd_export_name_added", lines[1]);
    }

    [Fact]
    public void Trace_takes_qemus_enable_spelling_several_times_and_category_names()
    {
        var (_, byName) = RunExport("--trace", "enable=export_deleted", "--trace", "nbd_server_st?rted");
        var (_, byCategory) = RunExport("--trace", "ExportPS.Exports");

        Assert.Equal(["nbd_server_started[1000]", "export_deleted[2002]"], Events(byName));
        Assert.Equal(["export_added[2000]", "export_shutting_down[2001]", "export_deleted[2002]"], Events(byCategory));
    }

    [Theory]
    [InlineData("--log-level loud: expected one of trace, debug, info, warning, error, none", "--log-level", "loud")]
    [InlineData("--trace events=/tmp/list: expected [enable=]PATTERN (events= and file= are not supported)", "--trace", "events=/tmp/list")]
    [InlineData("--trace nbd_*,file=x: expected [enable=]PATTERN (events= and file= are not supported)", "--trace", "nbd_*,file=x")]
    [InlineData("option '--trace' requires an argument", "--trace")]
    public void Bad_logging_options_are_refused_before_anything_runs(string message, params string[] args)
    {
        var e = Assert.Throws<CommandLineException>(() => ArgumentScanner.Scan(["--blockdev", "driver=null,node-name=n", .. args]));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Logging_options_alone_keep_the_default_configuration()
    {
        Assert.True(ArgumentScanner.Scan(["--log-level", "debug", "--trace", "qmp_*"]).UsesDefaultConfiguration);
        Assert.False(ArgumentScanner.Scan(["--log-level", "debug", "--"]).UsesDefaultConfiguration);
        Assert.Empty(ArgumentScanner.Scan(["--log-level", "debug", "--trace", "qmp_*"]).Options);
    }

    private const string HostLine = "exportps-host: NBD client unix socket dropped: bad option magic 0x0000000000000000";

    private const string WarningEvent = @"warning ExportPS\.Nbd nbd_client_error\[1020\] NBD client unix socket dropped: bad option magic 0x0000000000000000$";

    [Theory]
    [InlineData("--log-level", "warning")]
    [InlineData("--log-level", "debug")]
    [InlineData("--trace", "nbd_client_error")]
    public void A_dropped_client_is_one_line_the_warning_event_when_the_logging_writes_it(params string[] logging)
    {
        var lines = DropOneClient(logging);

        string line = Assert.Single(lines, l => l.Contains("dropped", StringComparison.Ordinal));
        Assert.Matches(Line + WarningEvent, line);
        Assert.DoesNotContain(HostLine, lines);
    }

    [Theory]
    [InlineData]
    [InlineData("--log-level", "error")]
    [InlineData("--trace", "qmp_*")]
    public void A_dropped_client_is_the_hosts_own_line_when_the_logging_leaves_the_warning_out(params string[] logging)
    {
        var lines = DropOneClient(logging);

        Assert.Equal([HostLine], lines);
    }

    /// <summary>A host with <paramref name="logging"/> and a client that breaks the option haggling: the host's stderr lines.</summary>
    private string[] DropOneClient(string[] logging)
    {
        string socket = _directory.File("nbd.sock");
        using var host = HostProcess.Start([.. logging,
            "--blockdev", "driver=null-co,node-name=n,size=1M", "--nbd-server", $"addr.type=unix,addr.path={socket}", "--export", "type=nbd,id=exp,node-name=n"]);
        host.WaitForUnix(socket);
        using (var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 10_000 })
        {
            client.Connect(new UnixDomainSocketEndPoint(socket));
            client.Send([0, 0, 0, 3]);
            client.Send(new byte[16]); // an option header with magic 0
            var buffer = new byte[64];
            while (client.Receive(buffer) > 0)
            {
            }
        }

        Assert.Equal(0, host.Stop());
        return host.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
