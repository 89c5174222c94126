using ExportPS.Engine.Net;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

public sealed class NetdevTests
{
    [Fact]
    public void DirectPeersPassFramesBothWaysAndCountThem()
    {
        var (a, aBackend) = RecordingBackend.Create("a");
        var (b, bBackend) = RecordingBackend.Create("b");
        Netdev.Connect(a, b);

        var toB = TestFrames.Make(60, 1);
        var toA = TestFrames.Make(1514, 2);
        a.Send(toB);
        b.Send(toA);
        b.Send(toA);

        Assert.Equal([toB], bBackend.Frames);
        Assert.Equal([toA, toA], aBackend.Frames);
        Assert.Same(b, a.Peer);
        Assert.Same(a, b.Peer);
        Assert.Equal(new NetTrafficSnapshot(1, 60, 0, 0, 0, 0, 0), a.Sent.Snapshot());
        Assert.Equal(new NetTrafficSnapshot(2, 3028, 0, 0, 0, 0, 0), a.Received.Snapshot());
        Assert.Equal(new NetTrafficSnapshot(2, 3028, 0, 0, 0, 0, 0), b.Sent.Snapshot());
        Assert.Equal(new NetTrafficSnapshot(1, 60, 0, 0, 0, 0, 0), b.Received.Snapshot());
    }

    [Fact]
    public void DownLinkDropsAndCountsBothDirectionsAndUpResumesAtOnce()
    {
        var (a, aBackend) = RecordingBackend.Create("a");
        var (b, bBackend) = RecordingBackend.Create("b");
        Netdev.Connect(a, b);
        var frame = TestFrames.Make(100, 3);

        a.SetLink(false);
        a.Send(frame);
        b.Send(frame);
        b.Send(frame);

        Assert.False(a.LinkUp);
        Assert.Empty(aBackend.Frames);
        Assert.Empty(bBackend.Frames);
        Assert.Equal(1, a.Sent.Snapshot().DroppedLinkDown);
        Assert.Equal(2, a.Received.Snapshot().DroppedLinkDown);
        Assert.Equal(2, b.Sent.Snapshot().Frames);

        a.SetLink(true);
        a.Send(frame);
        b.Send(frame);

        Assert.Equal([frame], aBackend.Frames);
        Assert.Equal([frame], bBackend.Frames);
        Assert.Equal([false, true], aBackend.LinkChanges);
        Assert.Empty(bBackend.LinkChanges);
    }

    [Fact]
    public void SettingTheSameLinkStateAgainTellsTheBackendNothing()
    {
        var (a, backend) = RecordingBackend.Create("a");
        a.SetLink(true);
        a.SetLink(false);
        a.SetLink(false);
        Assert.Equal([false], backend.LinkChanges);
    }

    [Fact]
    public void WithoutPeerFramesAreCountedAsNoPeer()
    {
        var (a, _) = RecordingBackend.Create("a");
        a.Send(TestFrames.Make(60, 0));
        a.Send(TestFrames.Make(60, 0));
        Assert.Equal(new NetTrafficSnapshot(0, 0, 0, 2, 0, 0, 0), a.Sent.Snapshot());
    }

    [Fact]
    public void BackendRefusalIsCountedUnderItsReason()
    {
        var (a, _) = RecordingBackend.Create("a");
        var (b, bBackend) = RecordingBackend.Create("b");
        Netdev.Connect(a, b);
        bBackend.RefuseWith = NetDropReason.QueueFull;

        a.Send(TestFrames.Make(60, 0));

        Assert.Equal(1, a.Sent.Snapshot().Frames);
        Assert.Equal(new NetTrafficSnapshot(0, 0, 0, 0, 0, 0, 1), b.Received.Snapshot());
    }

    [Fact]
    public void BackendReadErrorsAreCountedOnTheSendSide()
    {
        var (a, _) = RecordingBackend.Create("a");
        a.RecordSendDrop(NetDropReason.Malformed);
        a.RecordSendDrop(NetDropReason.Oversize);
        a.RecordSendDrop(NetDropReason.Oversize);
        var sent = a.Sent.Snapshot();
        Assert.Equal((1, 2, 3L), (sent.DroppedMalformed, sent.DroppedOversize, sent.Dropped));
    }

    [Fact]
    public void DisconnectFreesBothSidesForNewPeers()
    {
        var (a, _) = RecordingBackend.Create("a");
        var (b, _) = RecordingBackend.Create("b");
        var (c, cBackend) = RecordingBackend.Create("c");
        Netdev.Connect(a, b);

        Assert.Throws<InvalidOperationException>(() => Netdev.Connect(c, b));
        Assert.Throws<InvalidOperationException>(() => Netdev.Connect(a, c));
        Assert.Throws<InvalidOperationException>(() => Netdev.Connect(c, c));

        b.Disconnect();
        Assert.Null(a.Peer);
        Assert.Null(b.Peer);
        a.Send(TestFrames.Make(60, 0));
        Assert.Equal(1, a.Sent.Snapshot().DroppedNoPeer);

        Netdev.Connect(a, c);
        a.Send(TestFrames.Make(60, 0));
        Assert.Single(cBackend.Frames);
    }

    [Fact]
    public void CountersInfoIsFlatAndPlainValued()
    {
        var (a, _) = RecordingBackend.Create("a");
        var (b, bBackend) = RecordingBackend.Create("b");
        Netdev.Connect(a, b);
        a.Send(TestFrames.Make(70, 0));
        bBackend.RefuseWith = NetDropReason.QueueFull;
        a.Send(TestFrames.Make(70, 0));
        b.SetLink(false);
        a.Send(TestFrames.Make(70, 0));
        b.Send(TestFrames.Make(70, 0));

        var info = b.GetCounters();

        Assert.Equal(("b", "test", false, "a"), (info.Id, info.Type, info.LinkUp, info.Peer));
        Assert.Equal((1L, 70L, 2L, 1L, 1L), (info.ReceivedFrames, info.ReceivedBytes, info.ReceivedDropped,
            info.ReceivedDroppedLinkDown, info.ReceivedDroppedQueueFull));
        Assert.Equal((0L, 1L, 1L), (info.SentFrames, info.SentDropped, info.SentDroppedLinkDown));
        foreach (var property in typeof(NetdevCountersInfo).GetProperties())
            Assert.Contains(property.PropertyType, new[] { typeof(string), typeof(long), typeof(bool) });
    }

    [Fact]
    public void CountersAreExactUnderConcurrentSenders()
    {
        var (a, _) = RecordingBackend.Create("a");
        var frame = TestFrames.Make(64, 0);
        Parallel.For(0, 4, _ =>
        {
            for (var i = 0; i < 10_000; i++)
                a.Sent.RecordFrame(frame.Length);
        });
        Assert.Equal(new NetTrafficSnapshot(40_000, 40_000 * 64, 0, 0, 0, 0, 0), a.Sent.Snapshot());
    }
}
