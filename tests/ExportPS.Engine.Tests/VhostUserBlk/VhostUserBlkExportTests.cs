using System.Collections.Concurrent;
using System.Net.Sockets;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Tests.Block;
using ExportPS.Engine.Tests.VhostUser;
using ExportPS.Engine.VhostUser;
using ExportPS.Engine.VhostUser.Blk;
using Xunit;
using static ExportPS.Engine.VhostUser.Blk.VirtioBlkProtocol;

namespace ExportPS.Engine.Tests.VhostUserBlk;

/// <summary>
/// vhost-user-blk exports through the engine, with a test front-end on the real unix socket: the handshake, requests on
/// one and two queues, one front-end at a time, protocol violations, removal and engine shutdown.
/// </summary>
public sealed class VhostUserBlkExportTests : IDisposable
{
    private const long DiskSize = 4 << 20;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly TempDirectory _directory = new();
    private readonly ExportEngine _engine = new();

    // discard=unmap, so the guest's discards reach the node's driver (QEMU's default, ignore, keeps the data).
    public VhostUserBlkExportTests() =>
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "disk", Driver = BlockDriverKind.Memory, Size = DiskSize, Discard = BlockDiscardMode.Unmap });

    public void Dispose()
    {
        _engine.Dispose();
        _directory.Dispose();
    }

    private string SocketPath(string name = "vhost.sock") => Path.Combine(_directory.Path, name);

    private BlockExportInfo AddExport(string id = "vub", string node = "disk", bool writable = true, int numQueues = 1,
        long logicalBlockSize = 512, string? socket = null, string? ioThread = null) =>
        _engine.AddBlockExport(Options(id, node, writable, new VhostUserBlkExportOptions
        {
            Address = SocketAddressOptions.Unix(socket ?? SocketPath()),
            NumQueues = numQueues,
            LogicalBlockSize = logicalBlockSize,
        }) with { IoThread = ioThread });

    private static BlockExportOptions Options(string id, string node, bool writable, VhostUserBlkExportOptions branch) => new()
    {
        Type = BlockExportType.VhostUserBlk,
        Id = id,
        NodeName = node,
        Writable = writable,
        VhostUserBlk = branch,
    };

    private VhostUserBlkExportDetails Details(string id = "vub") =>
        Assert.IsType<VhostUserBlkExportDetails>(_engine.GetBlockExports().Single(e => e.Id == id).Details);

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            Thread.Sleep(10);
        }
    }

    /// <summary>The front-end's first request, a flush, is served.</summary>
    private static void AssertServesAFlush(TestFrontEnd frontEnd)
    {
        var flush = frontEnd.Post(0, TypeFlush, 0);
        frontEnd.KickAndWait(0, 1);
        Assert.Equal(StatusOk, frontEnd.Status(flush));
    }

    private TestFrontEnd Connect(int queues = 1, string? socket = null)
    {
        var frontEnd = new TestFrontEnd(socket ?? SocketPath());
        frontEnd.Negotiate();
        for (uint i = 0; i < queues; i++)
        {
            frontEnd.StartRing(i);
        }

        return frontEnd;
    }

    [Fact]
    public void GuestWritesAndReadsThroughTheSocket()
    {
        AddExport();
        using var frontEnd = Connect();
        Assert.Equal(1UL, frontEnd.Get(VhostUserRequest.GetQueueNum));
        Assert.Equal(0UL, frontEnd.Offered & VirtioBlkFeatures.ReadOnly);

        var payload = TestNodes.Pattern(8192, 5);
        var write = frontEnd.Post(0, TypeOut, 64, payload);
        frontEnd.KickAndWait(0, 1);
        Assert.Equal(StatusOk, frontEnd.Status(write));
        var node = _engine.Graph.Find("disk");
        Assert.Equal(payload, TestNodes.Read(node, 64 * 512, 8192));

        var pattern = TestNodes.Pattern(4096, 6);
        TestNodes.Write(node, 1 << 20, pattern);
        var read = frontEnd.Post(0, TypeIn, (1 << 20) / 512, inLength: 4096);
        var id = frontEnd.Post(0, TypeGetId, 0, inLength: IdLength);
        frontEnd.KickAndWait(0, 3);
        Assert.Equal(StatusOk, frontEnd.Status(read));
        Assert.Equal(pattern, frontEnd.Data(read, 4096));
        Assert.Equal("vub", System.Text.Encoding.ASCII.GetString(frontEnd.Data(id, IdLength)).TrimEnd('\0'));

        var details = Details();
        Assert.True(details.FrontEndConnected);
        Assert.Equal(frontEnd.Accepted, details.NegotiatedFeatures);
        Assert.Equal([3L], details.QueueRequests);
        Assert.Equal(SocketPath(), details.Socket);
        Assert.Equal(1, _engine.GetBlockExports().Single().Clients);
    }

    [Fact]
    public void ConfigSpaceDescribesTheDisk()
    {
        AddExport(numQueues: 2, logicalBlockSize: 4096);
        using var frontEnd = new TestFrontEnd(SocketPath());
        frontEnd.Negotiate();
        var config = frontEnd.ReadConfig(VirtioBlkConfig.Length);
        Assert.Equal((ulong)DiskSize / 512, BitConverter.ToUInt64(config, VirtioBlkConfig.CapacityOffset));
        Assert.Equal(4096u, BitConverter.ToUInt32(config, VirtioBlkConfig.BlkSizeOffset));
        Assert.Equal((ushort)2, BitConverter.ToUInt16(config, VirtioBlkConfig.NumQueuesOffset));
    }

    [Fact]
    public void TwoQueuesAreServedIndependently()
    {
        AddExport(numQueues: 2);
        using var frontEnd = Connect(queues: 2);
        var first = frontEnd.Post(0, TypeOut, 0, TestNodes.Pattern(4096, 1));
        var second = frontEnd.Post(1, TypeOut, 8, TestNodes.Pattern(4096, 2));
        frontEnd.KickAndWait(1, 1);
        frontEnd.KickAndWait(0, 1);
        Assert.Equal(StatusOk, frontEnd.Status(first));
        Assert.Equal(StatusOk, frontEnd.Status(second));
        Assert.Equal([1L, 1L], Details().QueueRequests);
        Assert.Equal(TestNodes.Pattern(4096, 2), TestNodes.Read(_engine.Graph.Find("disk"), 8 * 512, 4096));
    }

    [Fact]
    public void OnAnIoThread_RequestsAreServed()
    {
        _engine.AddIoThread(new IoThreadOptions { Id = "io0" });
        Assert.Equal("io0", AddExport(ioThread: "io0").IoThread);
        using var frontEnd = Connect();
        var write = frontEnd.Post(0, TypeOut, 0, TestNodes.Pattern(512, 3));
        var flush = frontEnd.Post(0, TypeFlush, 0);
        frontEnd.KickAndWait(0, 2);
        Assert.Equal(StatusOk, frontEnd.Status(write));
        Assert.Equal(StatusOk, frontEnd.Status(flush));
    }

    [Fact]
    public void ReadOnlyExport_OffersReadOnlyAndFailsWrites()
    {
        AddExport(writable: false);
        using var frontEnd = Connect();
        Assert.NotEqual(0UL, frontEnd.Offered & VirtioBlkFeatures.ReadOnly);
        var write = frontEnd.Post(0, TypeOut, 0, TestNodes.Pattern(512, 3));
        var read = frontEnd.Post(0, TypeIn, 0, inLength: 512);
        frontEnd.KickAndWait(0, 2);
        Assert.Equal(StatusIoError, frontEnd.Status(write));
        Assert.Equal(StatusOk, frontEnd.Status(read));
        Assert.Equal(new byte[512], TestNodes.Read(_engine.Graph.Find("disk"), 0, 512));
    }

    [Fact]
    public void DiscardInTheGuest_LeavesZeroesInTheNode()
    {
        AddExport();
        using var frontEnd = Connect();
        var node = _engine.Graph.Find("disk");
        TestNodes.Write(node, 0, TestNodes.Pattern(65536, 7));
        var segment = new byte[SegmentLength];
        BitConverter.TryWriteBytes(segment.AsSpan(0, 8), 0UL);
        BitConverter.TryWriteBytes(segment.AsSpan(8, 4), 128u);
        var discard = frontEnd.Post(0, TypeDiscard, 0, segment);
        frontEnd.KickAndWait(0, 1);
        Assert.Equal(StatusOk, frontEnd.Status(discard));
        Assert.Equal(new byte[65536], TestNodes.Read(node, 0, 65536));
    }

    [Fact]
    public void DiscardInTheGuest_OnANodeWithDefaultOptions_SucceedsAndKeepsTheData()
    {
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "keep", Driver = BlockDriverKind.Memory, Size = DiskSize });
        AddExport(node: "keep");
        using var frontEnd = Connect();
        var node = _engine.Graph.Find("keep");
        byte[] pattern = TestNodes.Pattern(65536, 9);
        TestNodes.Write(node, 0, pattern);
        var segment = new byte[SegmentLength];
        BitConverter.TryWriteBytes(segment.AsSpan(0, 8), 0UL);
        BitConverter.TryWriteBytes(segment.AsSpan(8, 4), 128u);
        var discard = frontEnd.Post(0, TypeDiscard, 0, segment);
        frontEnd.KickAndWait(0, 1);
        Assert.Equal(StatusOk, frontEnd.Status(discard));
        Assert.Equal(pattern, TestNodes.Read(node, 0, 65536));
    }

    /// <summary>As QEMU's vhost-user server, which stops accepting while it serves a front-end.</summary>
    [Fact]
    public void ASecondFrontEnd_WaitsWhileTheFirstIsServed_AndIsServedOnceItLeaves()
    {
        AddExport();
        var first = Connect();
        using var second = new TestFrontEnd(SocketPath());

        var write = first.Post(0, TypeOut, 0, TestNodes.Pattern(512, 1));
        first.KickAndWait(0, 1);
        Assert.Equal(StatusOk, first.Status(write));
        Assert.Equal(1, _engine.GetBlockExports().Single().Clients);
        first.Dispose();

        second.Negotiate();
        second.StartRing(0);
        AssertServesAFlush(second);
        Assert.True(Details().FrontEndConnected);
    }

    [Fact]
    public void AfterTheFrontEndLeaves_ANewOneIsServed()
    {
        AddExport();
        using (var first = Connect())
        {
            first.Post(0, TypeFlush, 0);
            first.KickAndWait(0, 1);
        }

        WaitUntil(() => _engine.GetBlockExports().Single().Clients == 0, "the first front-end is gone");
        Assert.False(Details().FrontEndConnected);
        using var second = Connect();
        AssertServesAFlush(second);
    }

    /// <summary>
    /// As QEMU's vhost-user server: the requests a front-end left in flight finish (into the memory they were taken from)
    /// before the next front-end is served; one that connects meanwhile waits rather than being turned away.
    /// </summary>
    [Fact]
    public void AFrontEndThatConnectsWhileTheLastOnesReadRuns_IsServedOnceTheReadIsDone()
    {
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "slow", Driver = BlockDriverKind.FaultInject, File = "disk" });
        _engine.SetBlockFault(new BlockFaultOptions
        {
            NodeName = "slow", Operation = BlockFaultOperation.Read, Errno = BlockFaultErrno.None, Delay = TimeSpan.FromSeconds(1),
        });
        var pattern = TestNodes.Pattern(4096, 8);
        TestNodes.Write(_engine.Graph.Find("disk"), 0, pattern);
        AddExport(node: "slow");
        using var guest = new TestGuest(8 << 20);
        TestVring vring;
        TestFrontEnd.Posted read;
        using (var first = new TestFrontEnd(SocketPath(), guest))
        {
            first.Negotiate();
            first.StartRing(0);
            vring = first.Vring(0);
            read = first.Post(0, TypeIn, 0, inLength: 4096);
            first.Kick(0);
            WaitUntil(() => _engine.GetBlockFaults().Single().Hits == 1, "the read is delayed");
        }

        WaitUntil(() => !Details().FrontEndConnected, "the first front-end is gone");
        using var second = new TestFrontEnd(SocketPath());
        second.Negotiate();
        Assert.Equal(1, vring.UsedIndex);
        Assert.Equal(StatusOk, guest.At(read.Status, 1)[0]);
        Assert.Equal(pattern, guest.At(read.Data, 4096).ToArray());
        second.StartRing(0);
        AssertServesAFlush(second);
    }

    [Fact]
    public void AProtocolViolation_DropsTheConnection_AndTheExportGoesOn()
    {
        AddExport();
        using (var broken = new TestFrontEnd(SocketPath()))
        {
            // Version 2 in the flags: not a message this back-end can read.
            broken.SendRaw([1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
            Assert.True(broken.WaitClosed());
        }

        WaitUntil(() => _engine.GetBlockExports().Single().Clients == 0, "the broken front-end is dropped");
        using var frontEnd = Connect();
        AssertServesAFlush(frontEnd);
    }

    [Fact]
    public void SafeRemovalIsRefusedWhileConnected_HardRemovalDisconnects()
    {
        AddExport();
        var deleted = new ConcurrentQueue<string>();
        _engine.ExportDeleted += (_, e) => deleted.Enqueue(e.Id);
        using var frontEnd = Connect();

        var refused = Assert.Throws<EngineException>(() => _engine.RemoveBlockExport("vub", BlockExportRemoveMode.Safe));
        Assert.Equal(ErrorIds.ExportInUse, refused.ErrorId);

        _engine.RemoveBlockExport("vub", BlockExportRemoveMode.Hard);
        Assert.True(frontEnd.WaitClosed());
        Assert.True(_engine.WaitForExportDeleted("vub", Timeout, CancellationToken.None));
        WaitUntil(() => deleted.Contains("vub"), "the deleted event arrived");
        Assert.False(File.Exists(SocketPath()));

        // The id and the socket path can be used again.
        AddExport();
        using var again = Connect();
        AssertServesAFlush(again);
    }

    [Fact]
    public void SafeRemovalWithoutFrontEnd_DeletesAtOnce()
    {
        AddExport();
        _engine.RemoveBlockExport("vub", BlockExportRemoveMode.Safe);
        Assert.True(_engine.WaitForExportDeleted("vub", Timeout, CancellationToken.None));
        Assert.False(File.Exists(SocketPath()));
    }

    [Fact]
    public void EngineShutdown_DisconnectsTheFrontEndAndRemovesTheSocket()
    {
        AddExport();
        using var frontEnd = Connect();
        _engine.Dispose();
        Assert.True(frontEnd.WaitClosed());
        Assert.False(File.Exists(SocketPath()));
    }

    [Theory]
    [InlineData(256, "Property vub.logical-block-size doesn't take value 256 (minimum: 512, maximum: 2097152)")]
    [InlineData(4194304, "Property vub.logical-block-size doesn't take value 4194304 (minimum: 512, maximum: 2097152)")]
    [InlineData(1536, "Property vub.logical-block-size doesn't take value '1536', it's not a power of 2")]
    public void LogicalBlockSize_IsCheckedAsQemuDoes(long size, string message)
    {
        var refused = Assert.Throws<EngineException>(() => AddExport(logicalBlockSize: size));
        Assert.Equal(ErrorIds.InvalidExportOptions, refused.ErrorId);
        Assert.Equal(message, refused.Message);
        Assert.Empty(_engine.GetBlockExports());
    }

    [Fact]
    public void NumQueues_MustBePositive()
    {
        var refused = Assert.Throws<EngineException>(() => AddExport(numQueues: 0));
        Assert.Equal("num-queues must be greater than 0", refused.Message);
    }

    [Fact]
    public void OnlyUnixAndFdAddresses_AreAccepted()
    {
        var refused = Assert.Throws<EngineException>(() => _engine.AddBlockExport(Options("vub", "disk", false,
            new VhostUserBlkExportOptions { Address = SocketAddressOptions.Inet("127.0.0.1", 0) })));
        Assert.Equal("Only socket address types 'unix' and 'fd' are supported", refused.Message);
    }

    [Fact]
    public void AnExistingFile_OrAMissingDirectory_IsRefused()
    {
        string file = Path.Combine(_directory.Path, "image");
        File.WriteAllText(file, "data");
        var existing = Assert.Throws<EngineException>(() => AddExport(socket: file));
        Assert.Equal(ErrorIds.ExportListenFailed, existing.ErrorId);
        Assert.Contains("is not a socket", existing.Message);
        Assert.Equal("data", File.ReadAllText(file));

        var missing = Assert.Throws<EngineException>(() => AddExport(socket: Path.Combine(_directory.Path, "none", "s.sock")));
        Assert.StartsWith($"Failed to bind socket to {Path.Combine(_directory.Path, "none", "s.sock")}", missing.Message);
        Assert.Empty(_engine.GetBlockExports());
    }

    [Fact]
    public void WritableExport_NeedsAWritableNode()
    {
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "ro", Driver = BlockDriverKind.Memory, Size = DiskSize, ReadOnly = true });
        var refused = Assert.Throws<EngineException>(() => AddExport(node: "ro"));
        Assert.Equal(ErrorIds.ExportReadOnlyNode, refused.ErrorId);
        Assert.False(File.Exists(SocketPath()));
        Assert.Equal("ro", AddExport(node: "ro", writable: false).NodeName);
    }

    [Fact]
    public void APassedListeningSocket_IsServed()
    {
        string path = SocketPath("passed.sock");
        using var listening = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listening.Bind(new UnixDomainSocketEndPoint(path));
        listening.Listen();
        string fd = Transport.Fds.Dup(listening.SafeHandle).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var info = _engine.AddBlockExport(Options("vub", "disk", true, new VhostUserBlkExportOptions { Address = SocketAddressOptions.FromFd(fd) }));
        Assert.Equal($"fd:{fd}", info.Details!.ToString());

        using var frontEnd = Connect(socket: path);
        AssertServesAFlush(frontEnd);
    }

    [Fact]
    public void VduseBlk_IsCheckedThenNotSupported()
    {
        var options = new BlockExportOptions
        {
            Type = BlockExportType.VduseBlk,
            Id = "vd",
            NodeName = "disk",
            VduseBlk = new VduseBlkExportOptions { Name = "vduse0", QueueSize = 100 },
        };
        Assert.Equal("queue-size is invalid", Assert.Throws<EngineException>(() => _engine.AddBlockExport(options)).Message);
        var refused = Assert.Throws<EngineException>(() => _engine.AddBlockExport(options with { VduseBlk = options.VduseBlk with { QueueSize = 256 } }));
        Assert.Equal(ErrorIds.ExportTypeNotSupported, refused.ErrorId);
        Assert.Equal(EngineErrorCategory.NotSupported, refused.Category);
        Assert.Contains("/dev/vduse", refused.Message);
    }
}
