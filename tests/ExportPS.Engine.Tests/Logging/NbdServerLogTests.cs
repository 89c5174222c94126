using System.Net;
using ExportPS.Engine.Model;
using Microsoft.Extensions.Logging;
using Xunit;
using static ExportPS.TestSupport.NbdTestClient;

namespace ExportPS.Engine.Tests.Logging;

/// <summary>What the NBD server logs through the engine's logger factory: refusals with their reason, and each client's story.</summary>
public sealed class NbdServerLogTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Fact]
    public void A_plain_client_against_a_tls_server_leaves_the_refusal_and_the_drop_in_the_log()
    {
        var log = new CapturingLoggerFactory();
        using var server = NbdTestServer.WithTls(loggerFactory: log);
        using (var client = new NbdTestClient(new IPEndPoint(IPAddress.Loopback, server.Port)))
        {
            client.Greet();
            client.SendOption(OptGo, NamePayload("disk"));
            Assert.Equal(RepErrTlsReqd, client.ReadOptionReply().Type);
        }

        var required = log.WaitFor("nbd_tls_required");
        Assert.Equal(("ExportPS.Nbd", LogLevel.Information, 1011), (required.Category, required.Level, required.EventId));
        Assert.Matches(@"^NBD client 127\.0\.0\.1:\d+ sent option 7 before NBD_OPT_STARTTLS: refused, TLS is required$", required.Message);

        var dropped = log.WaitFor("nbd_client_error");
        Assert.Equal((LogLevel.Warning, 1020), (dropped.Level, dropped.EventId));
        Assert.EndsWith("(after the server refused: Option 0x7 not permitted before TLS)", dropped.Message);
    }

    [Fact]
    public void A_client_certificate_from_another_ca_leaves_the_tls_handshake_failure_with_its_reason()
    {
        var log = new CapturingLoggerFactory();
        using var server = NbdTestServer.WithTls(unix: true, loggerFactory: log);
        var wrongCa = server.ClientDir("client.example.com", TestPki.CreateCa("Other CA"));
        var result = PeerProcess.Run(Peer.NbdInfo, ["--json", server.TlsUri(wrongCa)], Limit);
        Assert.NotEqual(0, result.ExitCode);

        var failed = log.WaitFor("nbd_tls_handshake_failed");
        Assert.StartsWith("NBD client unix socket: TLS handshake failed: ", failed.Message);
        string reason = failed.Message["NBD client unix socket: TLS handshake failed: ".Length..];
        Assert.NotEmpty(reason);

        // The operator's one line at warning level carries the same reason, and so does the server's record.
        var dropped = log.WaitFor("nbd_client_error");
        Assert.Equal($"NBD client unix socket dropped: TLS: {reason}", dropped.Message);
        var recorded = Assert.Single(server.Engine.GetNbdServer().RecentClientErrors);
        Assert.Equal(("unix socket", $"TLS: {reason}"), (recorded.Client, recorded.Message));
    }

    [Fact]
    public void A_client_session_is_logged_from_accept_to_close_with_what_it_asked_for()
    {
        var log = new CapturingLoggerFactory();
        using var server = new NbdTestServer(loggerFactory: log);
        using (var client = new NbdTestClient(server).Connect())
        {
            client.ReadData(0, 4096);
            client.ReadData(8192, 4096);
            Assert.Equal(0u, client.Command(CmdWrite, 0, 512, payload: new byte[512]));
            client.Disconnect();
            Assert.True(client.WaitClosed());
        }

        Assert.Matches(@"^NBD client 127\.0\.0\.1:\d+ connected$", log.WaitFor("nbd_client_accepted").Message);
        Assert.Matches(@"^NBD client 127\.0\.0\.1:\d+ attached to export 'disk' \(Structured replies, TLS off\)$", log.WaitFor("nbd_client_attached").Message);
        Assert.EndsWith(" closed (export 'disk', 4 requests, 8192 bytes read, 512 bytes written)", log.WaitFor("nbd_client_closed").Message); // NBD_CMD_DISC is a request too
        Assert.DoesNotContain(log.Events, e => e.EventName == "nbd_client_error");
    }

    [Fact]
    public void An_unknown_export_and_a_bad_option_are_logged_with_the_reason_sent_to_the_client()
    {
        var log = new CapturingLoggerFactory();
        using var server = new NbdTestServer(loggerFactory: log);
        using (var client = new NbdTestClient(server))
        {
            client.Greet();
            client.SendOption(OptGo, NamePayload("nope"));
            Assert.Equal(RepErrUnknown, client.ReadOptionReply().Type);
            client.SendOption(OptList, [1]);
            Assert.Equal(RepErrInvalid, client.ReadOptionReply().Type);
        }

        Assert.EndsWith("asked for unknown export: export 'nope' not present", log.WaitFor("nbd_export_unknown").Message);
        Assert.EndsWith("refused option 3: NBD_OPT_LIST must not carry data", log.WaitFor("nbd_option_refused").Message);
    }

    [Fact]
    public void Reaching_max_connections_is_logged()
    {
        var log = new CapturingLoggerFactory();
        using var server = new NbdTestServer(maxConnections: 1, loggerFactory: log);
        using var client = new NbdTestClient(server).Connect();

        Assert.Equal("NBD server reached max-connections (1): further clients wait until one leaves", log.WaitFor("nbd_max_connections").Message);
    }

    [Fact]
    public void The_server_keeps_the_latest_twenty_client_errors_oldest_first_and_counts_them_all()
    {
        using var server = new NbdTestServer(unix: true);
        for (int i = 0; i < NbdClientErrorHistoryLimit + 2; i++)
        {
            using var client = new NbdTestClient(server);
            client.Greet();
            client.SendOption(OptList, magic: (ulong)i);
            Assert.True(client.HungUp());
            int expected = i + 1;
            Assert.True(SpinWait.SpinUntil(() => server.Engine.GetNbdServer().ClientErrors == expected, Limit), $"error {expected} was not counted");
        }

        var state = server.Engine.GetNbdServer();
        Assert.Equal(NbdClientErrorHistoryLimit, state.RecentClientErrors.Length);
        Assert.Equal($"bad option magic 0x{2:x16}", state.RecentClientErrors[0].Message);
        Assert.Equal($"bad option magic 0x{NbdClientErrorHistoryLimit + 1:x16}", state.RecentClientErrors[^1].Message);
        Assert.All(state.RecentClientErrors, e => Assert.Equal("unix socket", e.Client));
        Assert.Equal(state.RecentClientErrors[^1].ToString(), state.LastClientError);
    }

    private const int NbdClientErrorHistoryLimit = ExportPS.Engine.Exports.Nbd.NbdClientErrorHistory.Capacity;
}
