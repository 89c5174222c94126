using ExportPS.Engine.Net;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

public sealed class NetHubTests
{
    /// <summary>A hub with one port per backend netdev, each port peered with its netdev (hubport netdev=).</summary>
    private static (NetHub Hub, Netdev[] Netdevs, RecordingBackend[] Backends, Netdev[] Ports) Build(int count)
    {
        var hub = new NetHub(0);
        var netdevs = new Netdev[count];
        var backends = new RecordingBackend[count];
        var ports = new Netdev[count];
        for (var i = 0; i < count; i++)
        {
            (netdevs[i], backends[i]) = RecordingBackend.Create($"n{i}");
            ports[i] = hub.AddPort($"p{i}", netdevs[i]);
        }

        return (hub, netdevs, backends, ports);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    public void FrameEnteringOnePortLeavesByEveryOtherPort(int count)
    {
        var (_, netdevs, backends, ports) = Build(count);

        for (var source = 0; source < count; source++)
            netdevs[source].Send(TestFrames.Make(60 + source, (byte)source));

        for (var i = 0; i < count; i++)
        {
            var expected = Enumerable.Range(0, count).Where(source => source != i)
                .Select(source => TestFrames.Make(60 + source, (byte)source)).ToList();
            Assert.Equal(expected, backends[i].Frames);
            Assert.Equal(count - 1, netdevs[i].Received.Snapshot().Frames);
            Assert.Equal(1, ports[i].Received.Snapshot().Frames);
            Assert.Equal(count - 1, ports[i].Sent.Snapshot().Frames);
        }
    }

    [Fact]
    public void PortWithLinkDownDropsAndCountsBothDirectionsWhileOthersGoOn()
    {
        var (_, netdevs, backends, ports) = Build(3);
        ports[1].SetLink(false);

        netdevs[0].Send(TestFrames.Make(60, 0));
        netdevs[1].Send(TestFrames.Make(60, 1));

        Assert.Equal([TestFrames.Make(60, 0)], backends[2].Frames);
        Assert.Empty(backends[1].Frames);
        Assert.Empty(backends[0].Frames);
        Assert.Equal(1, ports[1].Sent.Snapshot().DroppedLinkDown);
        Assert.Equal(1, ports[1].Received.Snapshot().DroppedLinkDown);
        Assert.Equal(0, ports[2].Received.Snapshot().Dropped);

        ports[1].SetLink(true);
        netdevs[1].Send(TestFrames.Make(60, 1));
        Assert.Equal([TestFrames.Make(60, 1)], backends[0].Frames);
    }

    [Fact]
    public void RemovedPortIsForgottenAndUnpeered()
    {
        var (hub, netdevs, backends, ports) = Build(3);

        Assert.True(hub.RemovePort(ports[1]));
        Assert.False(hub.RemovePort(ports[1]));
        netdevs[0].Send(TestFrames.Make(60, 0));
        netdevs[1].Send(TestFrames.Make(60, 1));

        Assert.Equal([ports[0], ports[2]], hub.Ports);
        Assert.Null(netdevs[1].Peer);
        Assert.Empty(backends[1].Frames);
        Assert.Equal(1, netdevs[1].Sent.Snapshot().DroppedNoPeer);
        Assert.Equal([TestFrames.Make(60, 0)], backends[2].Frames);
    }

    [Fact]
    public void PortWithoutPeerCountsNoPeerForFramesLeavingByIt()
    {
        var hub = new NetHub(5);
        var (a, _) = RecordingBackend.Create("a");
        hub.AddPort("p0", a);
        var lonely = hub.AddPort("p1");

        a.Send(TestFrames.Make(60, 0));

        Assert.Equal("hubport", lonely.Type);
        Assert.Equal(1, lonely.Sent.Snapshot().DroppedNoPeer);
    }

    [Fact]
    public void HubPortCannotBePeeredWithAnotherHubPort()
    {
        var first = new NetHub(0).AddPort("p0");
        var second = new NetHub(1);
        Assert.Throws<InvalidOperationException>(() => second.AddPort("q0", first));
        Assert.Empty(second.Ports);
        Assert.Null(first.Peer);
    }

    [Fact]
    public void HubTableMakesOneHubPerIdAndFindsAPortsHub()
    {
        var table = new NetHubTable();
        var hub = table.GetOrAdd(7);
        Assert.Same(hub, table.GetOrAdd(7));
        var other = table.GetOrAdd(2);
        var port = hub.AddPort("p");
        var (plain, _) = RecordingBackend.Create("n");

        Assert.Equal([other, hub], table.Hubs);
        Assert.Same(hub, NetHubTable.HubOf(port));
        Assert.Null(NetHubTable.HubOf(plain));
    }

    [Fact]
    public void FanOutAllocatesNothingPerFrame()
    {
        var hub = new NetHub(0);
        var netdevs = new Netdev[4];
        for (var i = 0; i < netdevs.Length; i++)
        {
            netdevs[i] = new Netdev($"n{i}", _ => new DiscardingBackend());
            hub.AddPort($"p{i}", netdevs[i]);
        }

        var frame = TestFrames.Make(1514, 0);
        netdevs[0].Send(frame);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
            netdevs[i % 4].Send(frame);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(1 + 7_500, netdevs[1].Received.Snapshot().Frames);
    }

    private sealed class DiscardingBackend : INetBackend
    {
        public string Type => "test";

        public bool TryReceive(ReadOnlySpan<byte> frame, out NetDropReason reason)
        {
            reason = default;
            return true;
        }

        public void LinkStatusChanged(bool up)
        {
        }
    }
}
