using System.Net;
using System.Net.Sockets;
using ExportPS.Engine.Model;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

/// <summary>Stream and socket (TCP) netdevs of a real engine, with far ends written in the test, joined by a hub.</summary>
public sealed class NetdevStreamTests : IDisposable
{
    private readonly NetdevTestEngine _test = new();
    private ExportEngine Engine => _test.Engine;

    public void Dispose() => _test.Dispose();

    private string SocketPath(string name) => _test.File(name);

    private void AddUnixServer(string id) => Engine.AddNetdev(new StreamNetdevOptions
    {
        Id = id,
        Server = true,
        Address = SocketAddressOptions.Unix(SocketPath(id + ".sock")),
    });

    private void AddHubPort(string id, string netdev) => _test.AddHubPort(id, netdev);

    private NetdevInfo Info(string id) => _test.Info(id);

    private void WaitUntil(Func<NetdevInfo, bool> condition, string id, string what) => _test.WaitUntil(condition, id, what);

    /// <summary>A unix stream server per id, each peered with hub port p0, p1, ... of hub 0; returns their far ends, connected.</summary>
    private StreamTestPeer[] HubOf(params string[] ids)
    {
        for (int i = 0; i < ids.Length; i++)
        {
            AddUnixServer(ids[i]);
            AddHubPort($"p{i}", ids[i]);
        }

        var peers = ids.Select(id => StreamTestPeer.ConnectUnix(SocketPath(id + ".sock"))).ToArray();
        foreach (var id in ids)
            WaitUntil(n => n.Connected, id, $"{id} has its peer");
        return peers;
    }

    private (StreamTestPeer A, StreamTestPeer B) HubOfTwo()
    {
        var peers = HubOf("s0", "s1");
        return (peers[0], peers[1]);
    }

    [Fact]
    public void FramesTravelBothWaysBetweenTwoUnixStreamServersThroughAHub()
    {
        var (a, b) = HubOfTwo();
        using var _ = a;
        using var __ = b;
        var toB = TestFrames.Make(60, 1);
        var toA = TestFrames.Make(1514, 2);

        a.SendFrame(toB);
        Assert.Equal(toB, b.ReceiveFrame());
        b.SendFrame(toA);
        Assert.Equal(toA, a.ReceiveFrame());

        // A frame is counted once the backend took it, and its writer may put it on the wire before that count lands.
        SpinWait.SpinUntil(() => Info("s0").ReceivedFrames == 1 && Info("p1").ReceivedFrames == 1, TimeSpan.FromSeconds(5));
        var s0 = Info("s0");
        Assert.Equal(("stream", "p0", 1L, 60L, 1L, 1514L), (s0.Type, s0.Peer, s0.SentFrames, s0.SentBytes, s0.ReceivedFrames, s0.ReceivedBytes));
        var p1 = Info("p1");
        Assert.Equal(("hubport", 0, "s1", 1L, 1L), (p1.Type, p1.Hub, p1.Peer, p1.SentFrames, p1.ReceivedFrames));
        Assert.Equal($"addr=unix:{SocketPath("s0.sock")},server=on", s0.Options);
    }

    [Fact]
    public void SocketListenAndConnectCarryTheSameFramingOverTcp()
    {
        int listenPort = NetTestPorts.FreeTcp();
        using var farListener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        farListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        farListener.Listen(1);
        int farPort = ((IPEndPoint)farListener.LocalEndPoint!).Port;

        Engine.AddNetdev(new SocketNetdevOptions { Id = "l", Listen = $"127.0.0.1:{listenPort}" });
        Engine.AddNetdev(new SocketNetdevOptions { Id = "c", Connect = $"127.0.0.1:{farPort}" });
        AddHubPort("pl", "l");
        AddHubPort("pc", "c");
        using var listenPeer = StreamTestPeer.ConnectTcp(listenPort);
        using var connectPeer = new StreamTestPeer(farListener.Accept());
        WaitUntil(n => n.Connected, "l", "l has its peer");

        listenPeer.SendFrame(TestFrames.Make(100, 3));
        Assert.Equal(TestFrames.Make(100, 3), connectPeer.ReceiveFrame());
        connectPeer.SendFrame(TestFrames.Make(42, 4));
        Assert.Equal(TestFrames.Make(42, 4), listenPeer.ReceiveFrame());
        Assert.Equal(("socket", $"connect=127.0.0.1:{farPort}"), (Info("c").Type, Info("c").Options));
    }

    [Fact]
    public void ALinkDownDropsAndCountsBothDirectionsByNetdevIdOrHubPortIdAndUpResumesAtOnce()
    {
        var (a, b) = HubOfTwo();
        using var _ = a;
        using var __ = b;

        Engine.SetLink("p0", false);
        a.SendFrame(TestFrames.Make(60, 5));
        WaitUntil(n => n.ReceivedDroppedLinkDown == 1, "p0", "the hub port counts the frame from A as link-down");
        b.SendFrame(TestFrames.Make(60, 6));
        WaitUntil(n => n.SentDroppedLinkDown == 1, "p0", "the hub port counts the frame for A as link-down");
        Assert.False(Info("p0").LinkUp);

        Engine.SetLink("p0", true);
        Engine.SetLink("s1", false);
        a.SendFrame(TestFrames.Make(60, 7));
        WaitUntil(n => n.ReceivedDroppedLinkDown == 1, "s1", "s1 counts the frame for B as link-down");
        b.SendFrame(TestFrames.Make(60, 8));
        WaitUntil(n => n.SentDroppedLinkDown == 1, "s1", "s1 counts the frame from B as link-down");

        Engine.SetLink("s1", true);
        a.SendFrame(TestFrames.Make(61, 9));
        Assert.Equal(TestFrames.Make(61, 9), b.ReceiveFrame());
        b.SendFrame(TestFrames.Make(62, 10));
        Assert.Equal(TestFrames.Make(62, 10), a.ReceiveFrame());
    }

    [Theory]
    [InlineData(0, "SentDroppedMalformed")]
    [InlineData(70_000, "SentDroppedOversize")]
    [InlineData(-1, "SentDroppedOversize")]
    public void ABadLengthPrefixDropsTheConnectionCountsItAndTheServerTakesTheNextPeer(int length, string counter)
    {
        var (a, b) = HubOfTwo();
        using var _ = b;
        using (a)
        {
            a.SendRaw(StreamTestPeer.Prefix(length));
            Assert.True(a.WaitForClose());
        }

        WaitUntil(n => (long)typeof(NetdevInfo).GetProperty(counter)!.GetValue(n)! == 1 && !n.Connected, "s0", $"{counter} is 1 and A is gone");
        using var next = StreamTestPeer.ConnectUnix(SocketPath("s0.sock"));
        WaitUntil(n => n.Connected, "s0", "s0 took the next peer");
        next.SendFrame(TestFrames.Make(70, 11));
        Assert.Equal(TestFrames.Make(70, 11), b.ReceiveFrame());
    }

    [Fact]
    public void AFrameCutOffByTheCloseIsCountedAsMalformed()
    {
        var (a, b) = HubOfTwo();
        using var _ = b;
        using (a)
            a.SendRaw([.. StreamTestPeer.Prefix(100), .. TestFrames.Make(40, 12)]);

        WaitUntil(n => n.SentDroppedMalformed == 1 && !n.Connected, "s0", "the cut frame is counted");
        Assert.Equal(0, Info("s0").SentFrames);
    }

    [Fact]
    public void FramesForAServerWithoutPeerAreCountedAsNoPeer()
    {
        AddUnixServer("s0");
        AddUnixServer("s1");
        AddHubPort("p0", "s0");
        AddHubPort("p1", "s1");
        using var b = StreamTestPeer.ConnectUnix(SocketPath("s1.sock"));
        WaitUntil(n => n.Connected, "s1", "s1 has its peer");

        b.SendFrame(TestFrames.Make(60, 13));
        WaitUntil(n => n.ReceivedDroppedNoPeer == 1, "s0", "s0 counts the frame as no-peer");
    }

    [Fact]
    public void APeerThatStopsReadingLosesFramesAsQueueFullWhileTheOtherPortsGetEveryFrame()
    {
        var peers = HubOf("slow", "src", "fast");
        using var slow = peers[0];
        using var source = peers[1];
        using var fast = peers[2];

        // Bursts the reading peer keeps up with (each under its queue's capacity); the peer that never reads fills
        // its socket and its queue long before the last burst.
        const int bursts = 30, burst = 100, count = bursts * burst;
        for (int round = 0; round < bursts; round++)
        {
            for (int i = 0; i < burst; i++)
                source.SendFrame(TestFrames.Make(1500, (byte)(round + i)));
            for (int i = 0; i < burst; i++)
                Assert.Equal(TestFrames.Make(1500, (byte)(round + i)), fast.ReceiveFrame());
        }

        var stuck = Info("slow");
        Assert.True(stuck.ReceivedDroppedQueueFull > 0, $"the slow peer's frames were dropped as queue-full: {stuck}");
        Assert.Equal(count, stuck.ReceivedFrames + stuck.ReceivedDroppedQueueFull);
        Assert.Equal(count, Info("fast").ReceivedFrames);
    }

    /// <summary>Frames of a held-back flood: far more than the socket buffers and the queue between them hold.</summary>
    private const int HeldBackCount = 4000;

    /// <summary>Starts sending <see cref="HeldBackCount"/> frames while the sink does not read; checks they are held back.</summary>
    private static async Task<Task> HeldBackFloodAsync(StreamTestPeer source)
    {
        var sending = Task.Run(() =>
        {
            for (int i = 0; i < HeldBackCount; i++)
                source.SendFrame(TestFrames.Make(1500, (byte)i));
        });
        await Task.Delay(500);
        Assert.False(sending.IsCompleted, "the source was held back while the sink did not read");
        return sending;
    }

    [Fact]
    public async Task AStreamSourceIsHeldBackWhileItsOnlyDestinationCannotTakeMoreAndNoFrameIsLost()
    {
        var (source, sink) = HubOfTwo();
        using var _ = source;
        using var __ = sink;

        var sending = await HeldBackFloodAsync(source);
        for (int i = 0; i < HeldBackCount; i++)
            Assert.Equal(TestFrames.Make(1500, (byte)i), sink.ReceiveFrame());
        await sending.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((HeldBackCount, 0L), (Info("s1").ReceivedFrames, Info("s1").ReceivedDropped));
    }

    [Fact]
    public async Task ALinkSetDownReleasesAHeldBackSourceAndItsFramesAreCountedAsLinkDown()
    {
        var (source, sink) = HubOfTwo();
        using var _ = source;
        using var __ = sink;

        var sending = await HeldBackFloodAsync(source);
        Engine.SetLink("p1", false);
        await sending.WaitAsync(TimeSpan.FromSeconds(10));
        WaitUntil(n => Info("s1").ReceivedFrames + n.SentDroppedLinkDown == HeldBackCount, "p1",
            "every frame was either queued for the sink before the link went down or dropped as link-down");
        Assert.True(Info("p1").SentDroppedLinkDown > 0);
    }

    [Fact]
    public void AStreamClientConnectsAgainAfterItsReconnectDelay()
    {
        string path = SocketPath("far.sock");
        using var far = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        far.Bind(new UnixDomainSocketEndPoint(path));
        far.Listen(1);
        Engine.AddNetdev(new StreamNetdevOptions { Id = "c", Address = SocketAddressOptions.Unix(path), Reconnect = 1 });
        Engine.AddNetdev(new HubportNetdevOptions { Id = "pc", HubId = 1, Netdev = "c" });
        far.Accept().Dispose();
        WaitUntil(n => !n.Connected, "c", "c lost its connection");

        far.ReceiveTimeout = 10_000;
        using var again = new StreamTestPeer(far.Accept());
        WaitUntil(n => n.Connected, "c", "c connected again");
        Assert.Equal($"addr=unix:{path},server=off,reconnect=1", Info("c").Options);
    }

    [Fact]
    public void RemovingANetdevClosesItsSocketAndTheHubForgetsItsPort()
    {
        var (a, b) = HubOfTwo();
        using var _ = a;
        using var __ = b;

        Engine.RemoveNetdev("p0");
        Engine.RemoveNetdev("s1");

        Assert.True(b.WaitForClose());
        Assert.False(File.Exists(SocketPath("s1.sock")));
        Assert.Equal(["s0", "p1"], Engine.GetNetdevs().Select(n => n.Id));
        Assert.Null(Info("s0").Peer);
    }

    [Fact]
    public async Task RemovingAHubPortWhileFramesFlowThroughItLeavesTheOthersRelaying()
    {
        var peers = HubOf("s0", "s1", "s2");
        using var source = peers[0];
        using var gone = peers[1];
        using var stays = peers[2];

        // The port that stays is read, as a live peer's would be: a source is held back only while no port can take its
        // frames, so with that one reading the flood goes on and the other ports' full queues drop as queue-full.
        var draining = Task.Run(() =>
        {
            try
            {
                while (true)
                    stays.ReceiveFrame();
            }
            catch (Exception e) when (e is SocketException or EndOfStreamException or ObjectDisposedException)
            {
                // Closed at the end of the test.
            }
        });
        using var flooding = new CancellationTokenSource();
        var flood = Task.Run(() =>
        {
            while (!flooding.IsCancellationRequested)
                source.SendFrame(TestFrames.Make(200, 14));
        });
        WaitUntil(n => n.SentFrames > 100, "p1", "frames flow through p1");
        Engine.RemoveNetdev("p1");
        Engine.RemoveNetdev("s1");
        flooding.Cancel();
        await flood.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["s0", "p0", "s2", "p2"], Engine.GetNetdevs().Select(n => n.Id));
        WaitUntil(n => n.SentFrames == Info("p0").ReceivedFrames, "p2", "every frame that entered the hub left by p2");
        Assert.True(gone.WaitForClose());
        stays.Socket.Dispose();
        await draining.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
