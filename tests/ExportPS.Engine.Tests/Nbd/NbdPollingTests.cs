using System.Diagnostics;
using ExportPS.Engine.Exports.Nbd;
using ExportPS.Engine.Model;
using ExportPS.Engine.Threading;
using Xunit;

namespace ExportPS.Engine.Tests.Nbd;

/// <summary>
/// A lone client that waits for each reply is polled for; with another client connected, or requests sent in batches,
/// the receive loop never polls. Runs alone, so the machine is quiet enough for loopback round trips under the limit.
/// </summary>
[Collection(NbdSerialCollection.Name)]
public sealed class NbdPollingTests
{
    private const int MaxRequests = 5000;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ALoneClientAtQueueDepthOneIsPolledFor(bool onIoThread)
    {
        using var ioThread = onIoThread ? new IoThread(new IoThreadOptions { Id = "io0" }) : null;
        using var server = new ScriptedNbdServer(ioThread: ioThread);
        using var client = server.Connect();
        var connection = Assert.Single(server.Connections);

        // A wait past the limit (a preempted client) resets the window, so go on until it has grown once.
        int requests = 0;
        while (connection.PollWindowTicks == 0 && requests < MaxRequests)
        {
            FlushSpinning(client);
            requests++;
        }

        Assert.True(connection.PollWindowTicks > 0, $"no polling after {requests} requests at queue depth 1");
    }

    [Fact]
    public void AnIoThreadWithPollMaxNsZeroNeverPolls()
    {
        using var ioThread = new IoThread(new IoThreadOptions { Id = "io0", PollMaxNs = 0 });
        using var server = new ScriptedNbdServer(ioThread: ioThread);
        using var client = server.Connect();
        var connection = Assert.Single(server.Connections);

        for (int i = 0; i < 500; i++)
        {
            FlushSpinning(client);
        }

        Assert.Equal(0, connection.PollWindowTicks);
    }

    [Fact]
    public void NothingPollsWhileARequestIsInFlight()
    {
        // A limit far above the waits, so any wait the loop learned from would grow the window.
        using var ioThread = new IoThread(new IoThreadOptions { Id = "io0", PollMaxNs = 10_000_000_000 });
        using var server = new ScriptedNbdServer(ioThread: ioThread);
        using var client = server.Connect();
        var connection = Assert.Single(server.Connections);
        server.Driver.SlowOffset = 0;

        for (int i = 0; i < 8; i++)
        {
            client.Request(NbdTestClient.CmdRead, 0, 512);

            // Released from the iothread's queue: that runs only after the receive loop, which started the read, has
            // gone to wait for the next request.
            Assert.True(SpinWait.SpinUntil(() => server.Driver.SlowReadWaiting, TimeSpan.FromSeconds(10)), "the read never started");
            ioThread.Post(_ => server.Driver.ReleaseSlowRead(), null);
            Assert.Equal(0u, NbdTestClient.ErrorOf(client.ReadReply(512)));
        }

        Assert.Equal(0, connection.PollWindowTicks);
    }

    [Fact]
    public void WithASecondClientConnectedNobodyPolls()
    {
        using var server = new ScriptedNbdServer();
        using var first = server.Connect();
        using var second = server.Connect();

        for (int i = 0; i < 200; i++)
        {
            Assert.Equal(0u, first.Command(NbdTestClient.CmdFlush, 0, 0));
            Assert.Equal(0u, second.Command(NbdTestClient.CmdFlush, 0, 0));
        }

        Assert.All(server.Connections, c => Assert.Equal(0, c.PollWindowTicks));
    }

    [Fact]
    public void AClientSendingRequestsInPairsIsNotPolledFor()
    {
        using var server = new ScriptedNbdServer();
        using var client = server.Connect();
        var connection = Assert.Single(server.Connections);
        byte[] pair = [.. NbdTestClient.RequestHeader(false, NbdTestClient.CmdFlush, 0, 0, cookie: 1),
            .. NbdTestClient.RequestHeader(false, NbdTestClient.CmdFlush, 0, 0, cookie: 2)];

        for (int i = 0; i < 200; i++)
        {
            client.Send(pair);
            Assert.Equal(0u, NbdTestClient.ErrorOf(client.ReadReply()));
            Assert.Equal(0u, NbdTestClient.ErrorOf(client.ReadReply()));
        }

        Assert.Equal(0, connection.PollWindowTicks);
    }

    /// <summary>A flush whose reply the client spins for, so the server's waits stay short even on a slow machine.</summary>
    private static void FlushSpinning(NbdTestClient client)
    {
        client.Request(NbdTestClient.CmdFlush, 0, 0);
        var waited = Stopwatch.StartNew();
        while (client.Socket.Available == 0 && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
        }

        Assert.Equal(0u, NbdTestClient.ErrorOf(client.ReadReply()));
    }
}
