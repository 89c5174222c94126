using System.Collections.Concurrent;
using System.Net.Sockets;
using ExportPS.Engine.Model;
using Xunit;
using static ExportPS.TestSupport.NbdTestClient;

namespace ExportPS.Engine.Tests.Nbd;

/// <summary>
/// Clients the server drops on an error are counted, the latest kept in the server state and each one raised as an
/// event; clients that leave properly, port probes and clients the server itself drops are not errors.
/// </summary>
public sealed class NbdClientErrorTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static void WaitUntil(Func<bool> condition, string what) =>
        Assert.True(SpinWait.SpinUntil(condition, Timeout), $"timed out waiting until {what}");

    private static void WaitUntilNoClient(NbdTestServer server) =>
        WaitUntil(() => server.Engine.GetNbdServer().Connections == 0, "every client connection is closed");

    [Fact]
    public void ABrokenClientIsReportedWithItsAddressAndTheServerGoesOn()
    {
        using var server = new NbdTestServer();
        var reported = new ConcurrentQueue<NbdClientError>();
        server.Engine.NbdClientFailed += (_, error) => reported.Enqueue(error);

        using var broken = new NbdTestClient(server).Connect();
        string address = broken.Socket.LocalEndPoint!.ToString()!;
        broken.Send(new byte[28]); // a request header with magic 0
        Assert.True(broken.WaitClosed());
        WaitUntil(() => !reported.IsEmpty, "the error event was raised");

        var error = Assert.Single(reported);
        Assert.Equal(address, error.Client);
        Assert.Equal("bad request magic 0x00000000", error.Message);
        Assert.InRange(error.Time, DateTime.UtcNow - Timeout, DateTime.UtcNow);

        var state = server.Engine.GetNbdServer();
        Assert.Equal(1, state.ClientErrors);
        Assert.Equal($"{error.Time:u} {address}: bad request magic 0x00000000", state.LastClientError);

        using var next = new NbdTestClient(server).Connect();
        Assert.Equal(0u, next.Command(CmdFlush, 0, 0));
    }

    [Fact]
    public void ProbesGoodbyesAndClientsTheServerDropsAreNoErrors()
    {
        using var server = new NbdTestServer(unix: true);

        // A port probe: connect, close.
        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            probe.Connect(new UnixDomainSocketEndPoint(server.SocketPath!));
        }

        WaitUntilNoClient(server);

        // NBD_OPT_ABORT during the handshake, NBD_CMD_DISC, and a close between requests.
        using (var aborting = new NbdTestClient(server))
        {
            aborting.Greet();
            aborting.SendOption(OptAbort);
            aborting.ReadOptionReply();
        }

        using (var disconnecting = new NbdTestClient(server).Connect())
        {
            disconnecting.Disconnect();
            Assert.True(disconnecting.WaitClosed());
        }

        using (var leaving = new NbdTestClient(server).Connect())
        {
            Assert.Equal(0u, leaving.Command(CmdFlush, 0, 0));
        }

        WaitUntilNoClient(server);

        // Dropped by the server: hard removal of its export.
        using (var dropped = new NbdTestClient(server).Connect())
        {
            server.Engine.RemoveBlockExport("exp", BlockExportRemoveMode.Hard);
            Assert.True(dropped.WaitClosed());
        }

        WaitUntilNoClient(server);
        var state = server.Engine.GetNbdServer();
        Assert.Equal(0, state.ClientErrors);
        Assert.Null(state.LastClientError);
        Assert.EndsWith(" unix socket: bad option magic 0x0000000000001234", ReportOneBrokenClient(server));
    }

    [Fact]
    public void AClientThatLeavesInTheMiddleOfARequestIsReported()
    {
        using var server = new NbdTestServer();
        using (var client = new NbdTestClient(server).Connect())
        {
            client.Send(RequestHeader(false, CmdWrite, 0, 4096));
            client.Send(new byte[100]); // and not the rest of the payload
        }

        WaitUntil(() => server.Engine.GetNbdServer().ClientErrors == 1, "the error was counted");
        Assert.Contains(": the client closed the connection in the middle", server.Engine.GetNbdServer().LastClientError);
    }

    /// <summary>Breaks one client's framing and returns what the server recorded of it.</summary>
    private static string? ReportOneBrokenClient(NbdTestServer server)
    {
        long before = server.Engine.GetNbdServer().ClientErrors;
        using var broken = new NbdTestClient(server);
        broken.Greet();
        broken.SendOption(OptGo, magic: 0x1234); // bad option magic
        Assert.True(broken.WaitClosed());
        WaitUntil(() => server.Engine.GetNbdServer().ClientErrors == before + 1, "the error was counted");
        return server.Engine.GetNbdServer().LastClientError;
    }
}
