using System.Net.Sockets;
using ExportPS.Engine.Block;
using ExportPS.Engine.Model;
using ExportPS.Engine.Tests.Block;
using ExportPS.Engine.Tests.Nbd;
using ExportPS.Engine.Tests.VhostUser;
using ExportPS.Engine.VhostUser;
using ExportPS.Engine.VhostUser.Blk;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;
using Xunit;
using static ExportPS.Engine.VhostUser.Blk.VirtioBlkProtocol;

namespace ExportPS.Engine.Tests.VhostUserBlk;

/// <summary>
/// VHOST_USER_PROTOCOL_F_INFLIGHT_SHMEM with a test front-end on a real socket: a request a slow node holds when the
/// connection drops is taken again, from the shared inflight area, by the session of the next connection, and the guest
/// sees it complete once.
/// </summary>
public sealed partial class VhostUserInflightTests : IDisposable
{
    private const long DiskSize = 1 << 20;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly TempDirectory _directory = new();
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly ScriptedBlockDriver _driver = new(DiskSize);
    private readonly BlockNode _node;
    private readonly VirtioBlkDevice _device;

    public VhostUserInflightTests()
    {
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _listener.Listen(1);
        _node = new BlockNode(new BlockNodeOptions { NodeName = "scripted", Driver = BlockDriverKind.Memory, Size = DiskSize }, _driver, null);
        _device = new VirtioBlkDevice(_node, new VirtioBlkOptions { Writable = true });
    }

    private string SocketPath => Path.Combine(_directory.Path, "inflight.sock");

    public void Dispose()
    {
        _listener.Dispose();
        _node.Dispose();
        _directory.Dispose();
    }

    /// <summary>Accepts the front-end that connected and serves it on a session of its own.</summary>
    private (VhostUserSession Session, Task Run) Serve(TimeSpan? stopTimeout = null)
    {
        var session = new VhostUserSession(_listener.Accept(), _device, null, "inflight test", NullLogger.Instance, stopTimeout);
        return (session, Task.Run(session.RunAsync));
    }

    /// <summary>Negotiates the inflight area, has the back-end track ring 0 in a new one, and starts the ring.</summary>
    private static (InflightPayload Area, SafeFileHandle Fd) StartRingWithInflightArea(TestFrontEnd frontEnd)
    {
        frontEnd.Negotiate(VhostUserProtocolFeatures.InflightShmem);
        var (area, fd) = frontEnd.GetInflightFd(1, 32);
        frontEnd.Send(VhostUserRequest.SetInflightFd, area, fd);
        frontEnd.StartRing(0);
        return (area, fd);
    }

    private static void WaitUntil(Func<bool> condition, string what) =>
        Assert.True(SpinWait.SpinUntil(condition, Timeout), $"timed out waiting until {what}");

    [Fact]
    public async Task GetInflightFd_ReturnsAZeroedAreaForTheQueues()
    {
        using var frontEnd = new TestFrontEnd(SocketPath);
        var (session, run) = Serve();
        frontEnd.Negotiate(VhostUserProtocolFeatures.InflightShmem);
        var (area, fd) = frontEnd.GetInflightFd(2, 64);
        using (fd)
        {
            Assert.Equal((ushort)2, area.NumQueues);
            Assert.Equal((ushort)64, area.QueueSize);
            Assert.Equal(0UL, area.MmapOffset);
            Assert.Equal(2 * InflightArea.QueuePartLength(64), area.MmapSize);
            Assert.Equal((long)area.MmapSize, RandomAccess.GetLength(fd));
        }

        frontEnd.Dispose();
        await run.WaitAsync(Timeout);
        Assert.Null(session.FailureReason);
        session.Dispose();
    }

    [Fact]
    public async Task HeldRequest_IsResubmittedAfterAReconnect_AndCompletesOnce()
    {
        var expected = TestNodes.Pattern(4096, 7);
        await _node.WriteAsync(8192, expected);
        _driver.SlowOffset = 8192;
        using var guest = new TestGuest(8 << 20);

        // First connection: a write completes, a read of the slow offset is held when the front-end goes away.
        using var first = new TestFrontEnd(SocketPath, guest);
        var (firstSession, firstRun) = Serve();
        var (area, fd) = StartRingWithInflightArea(first);
        using var inflightFd = fd;
        var vring = first.Vring(0);
        var held = first.Post(0, TypeIn, 16, inLength: 4096);
        var written = first.Post(0, TypeOut, 0, TestNodes.Pattern(4096, 3));
        first.KickAndWait(0, 1);
        Assert.Equal(StatusOk, first.Status(written));
        WaitUntil(() => _driver.SlowReadWaiting, "the read is held");
        first.Dispose();
        await firstRun.WaitAsync(Timeout);
        firstSession.Dispose();

        // Second connection, same guest memory, ring and inflight area; the base is the used index, as QEMU sets it
        // when it could not ask the back-end that went away.
        using var second = new TestFrontEnd(SocketPath, guest);
        var (secondSession, secondRun) = Serve();
        second.Negotiate(VhostUserProtocolFeatures.InflightShmem);
        second.Send(VhostUserRequest.SetInflightFd, area, inflightFd);
        second.StartRing(0, vring, vring.UsedIndex);
        var queue = secondSession.Backend.Queues[0];
        WaitUntil(() => queue.InFlight == 1, "the held read is taken again");
        Assert.Equal(0, queue.Resubmitting);
        Assert.Equal((ushort)2, queue.LastAvailIndex);
        Assert.Equal(0xff, second.Status(held));

        // Both the abandoned read and its resubmission go on; only the resubmission publishes a used entry.
        _driver.ReleaseSlowRead();
        WaitUntil(() => firstSession.Backend.Queues[0].InFlight == 0 && queue.InFlight == 0, "both reads completed");
        Assert.Equal(2, vring.UsedIndex);
        Assert.Equal(StatusOk, second.Status(held));
        Assert.Equal(expected, second.Data(held, 4096));

        // The ring goes on after the resubmitted request.
        var next = second.Post(0, TypeIn, 0, inLength: 4096);
        second.KickAndWait(0, 3);
        Assert.Equal(StatusOk, second.Status(next));
        Assert.Equal(TestNodes.Pattern(4096, 3), second.Data(next, 4096));

        second.Dispose();
        await secondRun.WaitAsync(Timeout);
        secondSession.Dispose();
    }

    /// <summary>
    /// GET_VRING_BASE does not wait for ever on a request the node holds: after the bound the reply comes, the request is
    /// abandoned (its completion publishes nothing) and stays marked in the inflight area, so the ring, started again on
    /// the same connection, takes it again and the guest sees it complete once.
    /// </summary>
    [Fact]
    public async Task GetVringBase_OnAHeldRequest_AnswersAfterItsBound_AndTheRestartedRingTakesTheRequestAgain()
    {
        var expected = TestNodes.Pattern(4096, 5);
        await _node.WriteAsync(8192, expected);
        _driver.SlowOffset = 8192;
        using var frontEnd = new TestFrontEnd(SocketPath);
        var (session, run) = Serve(TimeSpan.FromMilliseconds(200));
        using var inflightFd = StartRingWithInflightArea(frontEnd).Fd;
        var vring = frontEnd.Vring(0);
        var held = frontEnd.Post(0, TypeIn, 16, inLength: 4096);
        frontEnd.Kick(0);
        WaitUntil(() => _driver.SlowReadWaiting, "the read is held");

        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        frontEnd.Send(VhostUserRequest.GetVringBase, new VringStatePayload(0, 0));
        Assert.Equal(new VringStatePayload(0, 1), frontEnd.Receive(VhostUserRequest.GetVringBase));
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(150), Timeout);
        WaitUntil(() => session.LastError is not null, "the abandonment is recorded");
        Assert.Contains("abandoned", session.LastError);

        frontEnd.StartRing(0, vring, 1);
        var queue = session.Backend.Queues[0];
        WaitUntil(() => queue.InFlight == 2, "the held read is taken again");
        _driver.ReleaseSlowRead();
        WaitUntil(() => queue.InFlight == 0, "both reads completed");
        Assert.Equal(1, vring.UsedIndex);
        Assert.Equal(StatusOk, frontEnd.Status(held));
        Assert.Equal(expected, frontEnd.Data(held, 4096));

        frontEnd.Dispose();
        await run.WaitAsync(Timeout);
        session.Dispose();
    }
}
