using ExportPS.Engine.Tests.Block;
using ExportPS.Engine.Tests.VhostUser;
using ExportPS.Engine.VhostUser;
using Xunit;
using static ExportPS.Engine.VhostUser.Blk.VirtioBlkProtocol;

namespace ExportPS.Engine.Tests.VhostUserBlk;

/// <summary>
/// A read the node holds past its abandonment (the front-end left, RESET_DEVICE, or GET_VRING_BASE gave up on it) writes
/// nothing into guest memory once released: neither into the memory it was taken from nor into memory mapped after it.
/// </summary>
public sealed partial class VhostUserInflightTests
{
    private static readonly TimeSpan ShortStop = TimeSpan.FromMilliseconds(200);

    /// <summary>Posts a read of the node's slow offset, which holds <paramref name="data"/>, and waits until the node holds it.</summary>
    private async Task<TestFrontEnd.Posted> PostHeldReadAsync(TestFrontEnd frontEnd, byte[] data)
    {
        await _node.WriteAsync(8192, data);
        _driver.SlowOffset = 8192;
        var held = frontEnd.Post(0, TypeIn, 16, inLength: data.Length);
        frontEnd.Kick(0);
        WaitUntil(() => _driver.SlowReadWaiting, "the read is held");
        return held;
    }

    /// <summary>Releases the held read and waits until the abandoned request is done on <paramref name="queue"/>.</summary>
    private void ReleaseHeldRead(SplitVirtqueue queue)
    {
        _driver.ReleaseSlowRead();
        WaitUntil(() => queue.InFlight == 0, "the abandoned read completed");
    }

    private static void AssertUntouched(TestGuest guest, TestFrontEnd.Posted held, byte[] data)
    {
        Assert.Equal(0xff, guest.At(held.Status, 1)[0]);
        Assert.Equal(new byte[data.Length], guest.At(held.Data, data.Length).ToArray());
        AssertNowhere(guest, data);
    }

    private static void AssertNowhere(TestGuest guest, byte[] data) =>
        Assert.Equal(-1, guest.At(TestGuest.GuestBase, (int)guest.Size).IndexOf(data));

    [Fact]
    public async Task HeldRead_AbandonedByADisconnect_WritesNothingIntoTheOldMemoryNorTheNextFrontEnds()
    {
        var data = TestNodes.Pattern(4096, 9);
        using var oldGuest = new TestGuest(8 << 20);
        using var first = new TestFrontEnd(SocketPath, oldGuest);
        var (firstSession, firstRun) = Serve(ShortStop);
        first.Negotiate();
        first.StartRing(0);
        var vring = first.Vring(0);
        var held = await PostHeldReadAsync(first, data);
        first.Dispose();
        await firstRun.WaitAsync(Timeout);

        // The session waits for the read up to its bound, then abandons it.
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        await firstSession.DrainAsync().WaitAsync(Timeout);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(150), Timeout);
        var oldQueue = firstSession.Backend.Queues[0];
        Assert.Equal(1, oldQueue.InFlight);
        firstSession.Dispose();

        using var second = new TestFrontEnd(SocketPath);
        var (secondSession, secondRun) = Serve();
        second.Negotiate();
        second.StartRing(0);
        ReleaseHeldRead(oldQueue);
        Assert.Equal(0, vring.UsedIndex);
        AssertUntouched(oldGuest, held, data);
        AssertNowhere(second.Guest, data);

        second.Dispose();
        await secondRun.WaitAsync(Timeout);
        secondSession.Dispose();
    }

    /// <summary>Within one session: the ring is reset, or stopped past its bound, and started again in fresh memory.</summary>
    [Theory]
    [InlineData(VhostUserRequest.ResetDevice)]
    [InlineData(VhostUserRequest.GetVringBase)]
    public async Task HeldRead_AbandonedWithinTheSession_WritesNothingIntoTheOldMemoryNorTheNewTable(VhostUserRequest abandonedBy)
    {
        var data = TestNodes.Pattern(4096, 11);
        using var frontEnd = new TestFrontEnd(SocketPath);
        var (session, run) = Serve(ShortStop);
        frontEnd.Negotiate(VhostUserProtocolFeatures.ResetDevice);
        frontEnd.StartRing(0);
        var vring = frontEnd.Vring(0);
        var held = await PostHeldReadAsync(frontEnd, data);
        var oldQueue = session.Backend.Queues[0];

        if (abandonedBy == VhostUserRequest.ResetDevice)
        {
            frontEnd.Send(VhostUserRequest.ResetDevice, EmptyPayload.Instance);
        }
        else
        {
            frontEnd.Send(VhostUserRequest.GetVringBase, new VringStatePayload(0, 0));
            Assert.Equal(new VringStatePayload(0, 1), frontEnd.Receive(VhostUserRequest.GetVringBase));
        }

        Assert.Equal(1, oldQueue.InFlight);
        using var fresh = new TestGuest(8 << 20);
        frontEnd.Send(VhostUserRequest.SetMemTable, new MemoryTablePayload(fresh.Descriptions), fresh.Fd);
        frontEnd.StartRing(0, new TestVring(fresh, 32), 0);
        ReleaseHeldRead(oldQueue);
        Assert.Equal(0, vring.UsedIndex);
        AssertUntouched(frontEnd.Guest, held, data);
        AssertNowhere(fresh, data);

        frontEnd.Dispose();
        await run.WaitAsync(Timeout);
        session.Dispose();
    }
}
