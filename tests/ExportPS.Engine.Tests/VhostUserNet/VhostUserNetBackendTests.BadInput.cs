using ExportPS.Engine.Net;
using ExportPS.Engine.Tests.Net;
using ExportPS.Engine.Tests.VhostUser;
using ExportPS.Engine.Tests.VhostUserBlk;
using ExportPS.Engine.VhostUser;
using ExportPS.Engine.VhostUser.Net;
using Xunit;

namespace ExportPS.Engine.Tests.VhostUserNet;

/// <summary>
/// A front-end that sends what the protocol forbids, or a driver that posts what virtio forbids: the connection ends with
/// the reason kept (a broken protocol), or the frame is dropped and counted (a bad chain), or the ring stops with its
/// reason shown (a broken ring); the netdev goes on and serves the next front-end.
/// </summary>
public sealed partial class VhostUserNetBackendTests
{
    public static TheoryData<string, string> BrokenMessages => new()
    {
        { "garbage", "version" },
        { "too large", "more than the largest message" },
        { "wrong size", "expected 8" },
        { "fd where none belongs", "file descriptors, expected 0" },
        { "kick without its fd", "file descriptors, expected 1" },
        { "unknown request", "is not supported" },
        { "truncated", "in the middle of a message" },
    };

    [Theory]
    [MemberData(nameof(BrokenMessages))]
    public void AMessageThatBreaksTheProtocol_EndsTheConnection_AndTheNextFrontEndIsServed(string kind, string reason)
    {
        using (var bad = new TestFrontEnd(SocketPath))
        {
            using var extraFd = EventFd.Create();
            switch (kind)
            {
                case "garbage":
                    bad.SendRaw([.. Enumerable.Repeat((byte)0xee, 64)]);
                    break;
                case "too large":
                    bad.SendRaw(VhostUserCodecTests.Header((uint)VhostUserRequest.SetFeatures, 1, 1 << 20, 0));
                    break;
                case "wrong size":
                    bad.SendRaw(VhostUserCodecTests.Header((uint)VhostUserRequest.SetFeatures, 1, 4, 4));
                    break;
                case "fd where none belongs":
                    bad.SendRaw(VhostUserCodecTests.Header((uint)VhostUserRequest.SetFeatures, 1, 8, 8), extraFd.Handle);
                    break;
                case "kick without its fd":
                    bad.SendRaw(VhostUserCodecTests.Header((uint)VhostUserRequest.SetVringKick, 1, 8, 8));
                    break;
                case "unknown request":
                    bad.SendRaw(VhostUserCodecTests.Header(999, 1, 0, 0));
                    break;
                case "truncated":
                    // The header announces 8 bytes, 4 come, then the front-end is gone.
                    bad.SendRaw(VhostUserCodecTests.Header((uint)VhostUserRequest.SetFeatures, 1, 8, 4));
                    break;
            }

            if (kind != "truncated")
            {
                Assert.True(bad.WaitClosed(), "the back-end closes the connection");
            }
        }

        WaitFor(() => Backend.LastFailure is not null, "the session to end with its reason");
        Assert.Contains(reason, Backend.LastFailure);
        Assert.Contains(reason, Backend.Failure);
        AssertServesTheNextFrontEnd();
    }

    private void AssertServesTheNextFrontEnd()
    {
        using var next = Connect();
        int before = _recorder.Frames.Count;
        var frame = TestFrames.Ethernet(0x0800, 64);
        Transmit(next, 1, frame, used: 1);
        WaitFor(() => _recorder.Frames.Count == before + 1, "the next front-end's frame to reach the peer");
        Assert.Equal(frame, _recorder.Frames[^1]);
    }

    [Fact]
    public void TransmitChainsOutsideGuestMemoryOrInALoop_AreDroppedAsMalformed_AndTheQueueGoesOn()
    {
        using var frontEnd = Connect();
        var vring = frontEnd.Vring(1);
        vring.Post(new TestBuffer(0x10, 64, false), new TestBuffer(TestGuest.GuestBase + (ulong)frontEnd.Guest.Size - 8, 64, false));

        ulong data = frontEnd.Guest.Allocate(64);
        var loop = vring.TakeDescriptors(2);
        vring.SetDescriptor(vring.DescriptorTable, loop[0], data, 32, TestVring.Next, loop[1]);
        vring.SetDescriptor(vring.DescriptorTable, loop[1], data + 32, 32, TestVring.Next, loop[0]);
        vring.Publish(loop[0]);

        var frame = TestFrames.Ethernet(0x0800, 100);
        Transmit(frontEnd, 1, frame, used: 3);

        WaitFor(() => _recorder.Frames.Count == 1, "the good frame to reach the peer");
        Assert.Equal(frame, _recorder.Frames[0]);
        Assert.Equal(2, _netdev.Sent.Snapshot().DroppedMalformed);
        Assert.True(Backend.Connected);
        Assert.Null(Backend.Failure);
    }

    [Fact]
    public void AReceiveBufferTooSmallWithoutMergeableBuffers_IsReturnedEmpty_AndTheFrameCountedAsOversize()
    {
        using var frontEnd = Connect(features: NetFeatures & ~VirtioNetFeatures.MrgRxbuf);
        PostReceive(frontEnd, 0, length: 32);
        _peer.Send(TestFrames.Ethernet(0x0800, 60));

        Assert.Equal(1, _netdev.Received.Snapshot().DroppedOversize);
        Assert.Equal(1, frontEnd.Vring(0).UsedIndex);
        Assert.Equal(0u, frontEnd.Vring(0).Used(0).Length);

        ulong buffer = PostReceive(frontEnd, 0);
        var frame = TestFrames.Ethernet(0x0800, 60);
        _peer.Send(frame);
        Assert.Equal(frame, frontEnd.Guest.At(buffer + 12, frame.Length).ToArray());
    }

    [Fact]
    public void ARingWhoseAvailableIndexJumps_IsBrokenWithItsReasonShown_AndTheNextFrontEndIsServed()
    {
        using (var frontEnd = Connect())
        {
            frontEnd.Vring(1).SetAvailableIndex(1000);
            frontEnd.Kick(1);
            WaitFor(() => Backend.Failure is not null, "the transmit ring to break");
            Assert.Contains("vring 1: available index 1000", Backend.Failure);
            Assert.Equal(0, frontEnd.Vring(1).UsedIndex);

            // The receive ring still works.
            ulong buffer = PostReceive(frontEnd, 0);
            var frame = TestFrames.Ethernet(0x0806, 60);
            _peer.Send(frame);
            Assert.Equal(frame, frontEnd.Guest.At(buffer + 12, frame.Length).ToArray());
        }

        WaitFor(() => !Backend.Connected, "the front-end's session to end");
        AssertServesTheNextFrontEnd();
    }
}
