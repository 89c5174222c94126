using ExportPS.Engine.Net;
using ExportPS.Engine.Net.Backends;
using ExportPS.Engine.Tests.Net;
using ExportPS.Engine.Tests.VhostUser;
using ExportPS.Engine.Tests.VhostUserBlk;
using ExportPS.Engine.Transport;
using ExportPS.Engine.VhostUser;
using ExportPS.Engine.VhostUser.Net;
using ExportPS.TestSupport;
using Xunit;

namespace ExportPS.Engine.Tests.VhostUserNet;

/// <summary>
/// A vhost-user netdev served to the test front-end over its unix socket, peered with a recording netdev: frames the
/// guest transmits reach the peer, frames the peer sends fill the guest's receive buffers, and a front-end that leaves
/// is followed by the next one.
/// </summary>
public sealed partial class VhostUserNetBackendTests : IDisposable
{
    private const ulong NetFeatures = VirtioFeatures.Version1 | VirtioFeatures.RingIndirectDesc | VirtioFeatures.RingEventIdx
        | VirtioFeatures.ProtocolFeatures | VirtioNetFeatures.MrgRxbuf | VirtioNetFeatures.Mq;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly TempDirectory _directory = new();
    private readonly Netdev _netdev;
    private readonly Netdev _peer;
    private readonly RecordingBackend _recorder;

    public VhostUserNetBackendTests() : this(queuePairs: 1)
    {
    }

    private VhostUserNetBackendTests(int queuePairs)
    {
        var listener = SocketListener.BindUnix(SocketPath);
        _netdev = new Netdev("v0", owner => new VhostUserNetBackend(owner, listener, queuePairs));
        (_peer, _recorder) = RecordingBackend.Create("peer");
        Netdev.Connect(_netdev, _peer);
        Backend.Start();
    }

    private string SocketPath => _directory.File("net.sock");

    private VhostUserNetBackend Backend => (VhostUserNetBackend)_netdev.Backend;

    public void Dispose()
    {
        Backend.Dispose();
        _directory.Dispose();
    }

    /// <summary>Connects, negotiates and starts every ring of <paramref name="queuePairs"/> pairs, as QEMU's vhost-user-net does.</summary>
    private TestFrontEnd Connect(int queuePairs = 1, ulong features = NetFeatures, VhostUserProtocolFeatures alsoWanted = VhostUserProtocolFeatures.None)
    {
        var frontEnd = new TestFrontEnd(SocketPath);
        frontEnd.Negotiate(alsoWanted, features);
        Assert.Equal((ulong)(2 * queuePairs), frontEnd.Get(VhostUserRequest.GetQueueNum));
        for (uint ring = 0; ring < 2 * queuePairs; ring++)
        {
            frontEnd.StartRing(ring);
        }

        WaitFor(() => Backend.Connected, "the receive ring to start");
        return frontEnd;
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            Thread.Sleep(1);
        }
    }

    private static void Transmit(TestFrontEnd frontEnd, int queue, byte[] frame, int used)
    {
        var guest = frontEnd.Guest;
        ulong header = guest.Allocate(12);
        ulong data = guest.Allocate(frame.Length);
        frame.CopyTo(guest.At(data, frame.Length));
        frontEnd.Vring(queue).Post(new TestBuffer(header, 12, false), new TestBuffer(data, (uint)frame.Length, false));
        frontEnd.KickAndWait(queue, used);
    }

    private static ulong PostReceive(TestFrontEnd frontEnd, int queue, int length = 2048)
    {
        ulong address = frontEnd.Guest.Allocate(length);
        frontEnd.Vring(queue).Post(new TestBuffer(address, (uint)length, true));
        frontEnd.Kick(queue);
        return address;
    }

    [Fact]
    public void FramesTheGuestTransmits_ReachThePeer()
    {
        using var frontEnd = Connect();
        var frame = TestFrames.Ethernet(0x0800, 300);
        Transmit(frontEnd, 1, frame, used: 1);

        WaitFor(() => _recorder.Frames.Count == 1, "the peer to receive the frame");
        Assert.Equal(frame, _recorder.Frames[0]);
        Assert.Equal(1, _netdev.Sent.Snapshot().Frames);
    }

    [Fact]
    public void FramesThePeerSends_FillTheGuestsReceiveBuffers_OrAreDroppedAsQueueFull()
    {
        using var frontEnd = Connect();
        var frame = TestFrames.Ethernet(0x0806, 60);
        _peer.Send(frame);
        Assert.Equal(1, _netdev.Received.Snapshot().DroppedQueueFull);

        ulong buffer = PostReceive(frontEnd, 0);
        _peer.Send(frame);

        Assert.Equal(1, frontEnd.Vring(0).UsedIndex);
        Assert.Equal(72u, frontEnd.Vring(0).Used(0).Length);
        Assert.Equal(frame, frontEnd.Guest.At(buffer + 12, frame.Length).ToArray());
        Assert.Equal(1, _netdev.Received.Snapshot().Frames);
    }

    [Fact]
    public void WithoutAFrontEnd_FramesAreDroppedAsNoPeer()
    {
        _peer.Send(TestFrames.Ethernet(0x0800, 60));
        Assert.Equal(1, _netdev.Received.Snapshot().DroppedNoPeer);
        Assert.False(Backend.Connected);
    }

    [Fact]
    public void AFrontEndThatReconnects_IsServedAgain()
    {
        using (var first = Connect())
        {
            Transmit(first, 1, TestFrames.Ethernet(0x0800, 100), used: 1);
        }

        WaitFor(() => !Backend.Connected, "the first front-end's session to end");
        using var second = Connect();
        var frame = TestFrames.Ethernet(0x0800, 120);
        Transmit(second, 1, frame, used: 1);
        WaitFor(() => _recorder.Frames.Count == 2, "the peer to receive the second front-end's frame");
        Assert.Equal(frame, _recorder.Frames[1]);
        Assert.Null(Backend.LastFailure);
    }

    [Fact]
    public void TwoQueuePairs_TransmitOnEitherPair()
    {
        using var test = new VhostUserNetBackendTests(queuePairs: 2);
        using var frontEnd = test.Connect(queuePairs: 2);
        Assert.NotEqual(0UL, frontEnd.Accepted & VirtioNetFeatures.Mq);
        Transmit(frontEnd, 3, TestFrames.Ethernet(0x0800, 80), used: 1);
        Transmit(frontEnd, 1, TestFrames.Ethernet(0x0806, 90), used: 1);
        WaitFor(() => test._recorder.Frames.Count == 2, "the peer to receive both frames");
    }

    [Fact]
    public void TwoQueuePairs_FlowsToTheGuestUseBothReceiveQueues()
    {
        using var test = new VhostUserNetBackendTests(queuePairs: 2);
        using var frontEnd = test.Connect(queuePairs: 2);
        for (int i = 0; i < 16; i++)
        {
            PostReceive(frontEnd, 0);
            PostReceive(frontEnd, 2);
        }

        for (int port = 1000; port < 1016; port++)
        {
            test._peer.Send(VirtioNetRxSteeringTests.IPv4(17, "10.0.0.2", "10.0.0.1", (ushort)port, 53));
        }

        Assert.Equal(16, test._netdev.Received.Snapshot().Frames);
        var completions = test.Backend.VirtqueueCompletions!;
        Assert.Equal(16, completions[0] + completions[2]);
        Assert.True(completions[0] > 0 && completions[2] > 0, $"both receive queues are used: {string.Join(' ', completions)}");
        Assert.Equal(completions[0], frontEnd.Vring(0).UsedIndex);
    }

    [Fact]
    public void SendRarp_PutsTheAnnouncementOfTheMacOnThePeer()
    {
        using var frontEnd = Connect(alsoWanted: VhostUserProtocolFeatures.Rarp);
        Assert.NotEqual(0UL, frontEnd.Offered & VirtioNetFeatures.GuestAnnounce);
        var mac = MacAddress.Parse("52:54:00:12:34:56");
        var bytes = new byte[8];
        mac.WriteTo(bytes);
        frontEnd.Send(VhostUserRequest.SendRarp, new U64Payload(BitConverter.ToUInt64(bytes)));

        WaitFor(() => _recorder.Frames.Count == 1, "the announcement to reach the peer");
        var expected = new byte[RarpAnnounceFrame.Length];
        RarpAnnounceFrame.Write(mac, expected);
        Assert.Equal(expected, _recorder.Frames[0]);
        Assert.Equal(1, _netdev.Sent.Snapshot().Frames);
    }
}
