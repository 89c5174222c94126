using System.Net;
using System.Net.Sockets;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using Xunit;
using static ExportPS.TestSupport.NbdTestClient;

namespace ExportPS.Engine.Tests.Nbd;

/// <summary>The export lifecycle through ExportEngine, with real connections holding on.</summary>
public sealed class NbdLifecycleTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            Thread.Sleep(10);
        }
    }

    [Fact]
    public void SafeRemovalIsRefusedWhileAClientIsConnected()
    {
        using var server = new NbdTestServer();
        var client = new NbdTestClient(server).Connect();
        Assert.Equal(1, server.Engine.GetBlockExports().Single().Clients);

        var refused = Assert.Throws<EngineException>(() => server.Engine.RemoveBlockExport("exp", BlockExportRemoveMode.Safe));
        Assert.Equal(ErrorIds.ExportInUse, refused.ErrorId);
        Assert.Contains("hard", refused.Message);
        Assert.Equal(0u, client.Command(CmdFlush, 0, 0));

        client.Disconnect();
        client.Dispose();
        WaitUntil(() => server.Engine.GetBlockExports().Single().Clients == 0, "the client is gone");
        server.Engine.RemoveBlockExport("exp", BlockExportRemoveMode.Safe);
        Assert.True(server.Engine.WaitForExportDeleted("exp", Timeout, CancellationToken.None));
    }

    [Fact]
    public void HardRemovalDropsClientsThenTheIdCanBeReused()
    {
        using var server = new NbdTestServer();
        using var first = new NbdTestClient(server).Connect();
        using var second = new NbdTestClient(server).Connect(structured: false);
        var deleted = new System.Collections.Concurrent.ConcurrentQueue<string>();
        server.Engine.ExportDeleted += (_, e) => deleted.Enqueue(e.Id);

        server.Engine.RemoveBlockExport("exp", BlockExportRemoveMode.Hard);
        Assert.True(first.WaitClosed());
        Assert.True(second.WaitClosed());
        Assert.True(server.Engine.WaitForExportDeleted("exp", Timeout, CancellationToken.None));
        // The registry drops the id before it raises the event (as QEMU does), so this handler may still be running.
        WaitUntil(() => !deleted.IsEmpty, "the deleted event reached the test's handler");
        Assert.Equal(["exp"], deleted);

        server.Engine.AddBlockExport(new BlockExportOptions { Id = "exp", NodeName = "disk", Writable = true });
        using var third = new NbdTestClient(server).Connect();
        Assert.Equal(0u, third.Command(CmdFlush, 0, 0));
    }

    [Fact]
    public async Task ShuttingDownIsVisibleWhileAClientHoldsOnAndTheIdIsReusableOnlyAfterDeletion()
    {
        using var server = new NbdTestServer();
        using var client = new NbdTestClient(server).Connect();
        var stop = Task.Run(() => server.Engine.StopNbdServer(TimeSpan.FromSeconds(30)));

        WaitUntil(() => server.Engine.GetBlockExports().Single().ShuttingDown, "the export shows ShuttingDown");
        var exists = Assert.Throws<EngineException>(() => server.Engine.AddBlockExport(new BlockExportOptions { Id = "exp", NodeName = "disk" }));
        Assert.Equal(ErrorIds.ExportExists, exists.ErrorId);

        // New requests are told the export is going away; the client then leaves on its own.
        Assert.Equal(EShutdown, client.Command(CmdRead, 0, 512));
        client.Disconnect();
        Assert.True(await Task.WhenAny(stop, Task.Delay(Timeout)) == stop, "StopNbdServer did not return after the last client left");
        await stop;
        Assert.Empty(server.Engine.GetBlockExports());

        var restarted = server.Engine.StartNbdServer(new NbdServerOptions { Address = SocketAddressOptions.Inet("127.0.0.1", 0) });
        server.Engine.AddBlockExport(new BlockExportOptions { Id = "exp", NodeName = "disk" });
        using var again = new NbdTestClient(new IPEndPoint(IPAddress.Loopback, restarted.Port)).Connect();
        Assert.True((again.TransmissionFlags & 2) != 0, "the new export is read-only");
    }

    [Fact]
    public void StopNbdServerDropsClientsThatOutstayTheGracePeriod()
    {
        using var server = new NbdTestServer();
        using var first = new NbdTestClient(server).Connect();
        using var second = new NbdTestClient(server);
        second.Greet(); // still negotiating

        var started = DateTime.UtcNow;
        server.Engine.StopNbdServer(TimeSpan.FromMilliseconds(300));
        Assert.True(DateTime.UtcNow - started < Timeout);
        Assert.True(first.WaitClosed());
        Assert.True(second.WaitClosed());
        Assert.False(server.Engine.GetNbdServer().Running);
        WaitUntil(() => server.Engine.GetBlockExports().Count == 0, "the dropped export is deleted");
        Assert.Throws<SocketException>(() => new NbdTestClient(new IPEndPoint(IPAddress.Loopback, server.Port)));
    }

    [Fact]
    public void MaxConnectionsHoldsFurtherClientsInTheBacklogUntilOneLeaves()
    {
        using var server = new NbdTestServer(maxConnections: 2);
        using var first = new NbdTestClient(server).Connect();
        using var second = new NbdTestClient(server).Connect();
        WaitUntil(() => server.Engine.GetNbdServer().Connections == 2, "two connections are counted");

        using var third = new NbdTestClient(server, TimeSpan.FromMilliseconds(500));
        var waiting = Assert.Throws<SocketException>(() => third.Receive(18));
        Assert.Equal(SocketError.TimedOut, waiting.SocketErrorCode);

        first.Disconnect();
        third.Socket.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
        third.Connect();
        Assert.Equal(0u, third.Command(CmdFlush, 0, 0));
        Assert.Equal(2, server.Engine.GetNbdServer().Connections);
    }

    [Fact]
    public void ServerInfoListenErrorsAndSecondStart()
    {
        using var server = new NbdTestServer();
        var info = server.Engine.GetNbdServer();
        Assert.True(info.Running);
        Assert.NotEqual(0, info.Port);
        Assert.Equal($"127.0.0.1:{info.Port}", info.Endpoint);
        Assert.Equal(1, info.Exports);

        var running = Assert.Throws<EngineException>(() => server.Engine.StartNbdServer(new NbdServerOptions()));
        Assert.Equal(ErrorIds.NbdServerRunning, running.ErrorId);

        using var other = new ExportEngine();
        var busy = Assert.Throws<EngineException>(() => other.StartNbdServer(new NbdServerOptions { Address = SocketAddressOptions.Inet("127.0.0.1", info.Port) }));
        Assert.Equal(ErrorIds.NbdServerListenFailed, busy.ErrorId);
        var nowhere = Assert.Throws<EngineException>(() => other.StartNbdServer(new NbdServerOptions { Address = SocketAddressOptions.Unix("/nonexistent/dir/nbd.sock") }));
        Assert.Equal(ErrorIds.NbdServerListenFailed, nowhere.ErrorId);
        Assert.False(other.GetNbdServer().Running);
    }

    [Fact]
    public void Ipv6ListenerServesNbdinfo()
    {
        using var engine = new ExportEngine();
        var info = engine.StartNbdServer(new NbdServerOptions { Address = SocketAddressOptions.Inet("::1", 0) });
        Assert.Equal($"[::1]:{info.Port}", info.Endpoint);
        engine.AddBlockNode(new BlockNodeOptions { NodeName = "disk", Driver = BlockDriverKind.Memory, Size = 1 << 20 });
        engine.AddBlockExport(new BlockExportOptions { Id = "exp", NodeName = "disk" });
        var result = PeerProcess.Run(Peer.NbdInfo, ["--size", $"nbd://[::1]:{info.Port}/disk"]).Check("nbdinfo over IPv6");
        Assert.Equal("1048576", result.Stdout.Trim());
    }

    [Fact]
    public void ExportOptionsAreValidatedAndNamesAreUniqueOnTheServer()
    {
        using var server = new NbdTestServer(addExport: false);
        var engine = server.Engine;
        var info = engine.AddBlockExport(new BlockExportOptions { Id = "a", NodeName = "disk" });
        Assert.Equal("disk", Assert.IsType<NbdExportDetails>(info.Details).Name);
        Assert.Equal(0, info.Clients);

        var taken = Assert.Throws<EngineException>(() => engine.AddBlockExport(new BlockExportOptions { Id = "b", NodeName = "disk" }));
        Assert.Equal(ErrorIds.ExportNameExists, taken.ErrorId);

        var tooLong = Assert.Throws<EngineException>(() => engine.AddBlockExport(new BlockExportOptions
        {
            Id = "c",
            NodeName = "disk",
            Nbd = new NbdExportOptions { Name = "c", Description = new string('é', 2049) },
        }));
        Assert.Equal(ErrorIds.InvalidExportOptions, tooLong.ErrorId);

        var fits = engine.AddBlockExport(new BlockExportOptions { Id = "d", NodeName = "disk", Nbd = new NbdExportOptions { Name = "d", Description = new string('é', 2048) } });
        Assert.Equal(4096, System.Text.Encoding.UTF8.GetByteCount(Assert.IsType<NbdExportDetails>(fits.Details).Description!));

        using var engineWithoutServer = new ExportEngine();
        engineWithoutServer.AddBlockNode(new BlockNodeOptions { NodeName = "n", Driver = BlockDriverKind.Null, Size = 512 });
        var notRunning = Assert.Throws<EngineException>(() => engineWithoutServer.AddBlockExport(new BlockExportOptions { Id = "x", NodeName = "n" }));
        Assert.Equal(ErrorIds.NbdServerNotRunning, notRunning.ErrorId);
    }

    [Fact]
    public void ExportOnAnIoThreadServesItsClientsThere()
    {
        using var server = new NbdTestServer(addExport: false);
        server.Engine.AddIoThread(new IoThreadOptions { Id = "io0" });
        server.Engine.AddBlockExport(new BlockExportOptions { Id = "exp", NodeName = "disk", Writable = true, IoThread = "io0", Nbd = new NbdExportOptions { Description = "python disk" } });
        server.Engine.AddBlockNode(new BlockNodeOptions { NodeName = "other", Driver = BlockDriverKind.Memory, Size = 1 << 20 });
        server.Engine.AddBlockExport(new BlockExportOptions { Id = "ro", NodeName = "other", IoThread = "io0", Nbd = new NbdExportOptions { Name = "ro" } });
        Assert.Equal(2, server.Engine.GetIoThreads().Single().Users);
        var result = PeerProcess.Run(Peer.Python3, [TestScript.Path("libnbd_protocol.py"), server.Uri(), server.Uri("ro"), NbdTestServer.DefaultSize.ToString()], TimeSpan.FromSeconds(60));
        Assert.Contains("ok 32 concurrent reads on one connection", result.Check("libnbd_protocol.py on an iothread").Stdout);

        server.Engine.RemoveBlockExport("exp", BlockExportRemoveMode.Hard);
        server.Engine.RemoveBlockExport("ro", BlockExportRemoveMode.Hard);
        Assert.True(server.Engine.WaitForExportDeleted("exp", Timeout, CancellationToken.None));
        Assert.True(server.Engine.WaitForExportDeleted("ro", Timeout, CancellationToken.None));
        server.Engine.RemoveIoThread("io0");
    }
}
