using System.Buffers.Binary;
using ExportPS.Engine.Exports;
using ExportPS.Engine.Exports.Fuse;
using ExportPS.Engine.Fuse;
using ExportPS.Engine.Model;
using Xunit;

namespace ExportPS.Engine.Tests.Fuse;

/// <summary>
/// The FUSE file's answers to hand-made kernel requests, without a mount: INIT negotiation, attributes, data, handles,
/// the errno of every refused or malformed request, and the requests that take no reply.
/// </summary>
public sealed class FuseFileTests : IDisposable
{
    private const long DiskSize = 1 << 20;
    private const ulong Root = 1;

    private readonly ExportEngine _engine = new();
    private readonly TempDirectory _directory = new();
    private readonly byte[] _reply = new byte[FuseFile.ReplyBufferSize];
    private ulong _unique;

    public FuseFileTests() =>
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "disk", Driver = BlockDriverKind.Memory, Size = DiskSize, Discard = BlockDiscardMode.Unmap });

    public void Dispose()
    {
        _engine.Dispose();
        _directory.Dispose();
    }

    private FuseFile File(bool writable = true, bool growable = false, string node = "disk") => new(_engine.Graph.Find(node), new FuseFileOptions
    {
        Writable = writable,
        Growable = growable,
        IoPolicy = new ExportIoPolicy(writethrough: false),
        Uid = 1000,
        Gid = 100,
    });

    private static byte[] Request(FuseOpcode opcode, ulong unique, ReadOnlySpan<byte> body, ulong nodeId = Root)
    {
        var message = new byte[FuseInHeader.Size + body.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)message.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(4), (uint)opcode);
        BinaryPrimitives.WriteUInt64LittleEndian(message.AsSpan(8), unique);
        BinaryPrimitives.WriteUInt64LittleEndian(message.AsSpan(16), nodeId);
        body.CopyTo(message.AsSpan(FuseInHeader.Size));
        return message;
    }

    private static byte[] Body(int length, params (int At, ulong Value, int Size)[] fields)
    {
        var body = new byte[length];
        foreach (var (at, value, size) in fields)
        {
            if (size == 8)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(body.AsSpan(at), value);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(at), (uint)value);
            }
        }

        return body;
    }

    /// <summary>Sends one request; returns the reply's errno (0 for success) and body.</summary>
    private async Task<(int Errno, byte[] Body)> SendAsync(FuseFile file, FuseOpcode opcode, byte[] body, ulong nodeId = Root)
    {
        ulong unique = ++_unique;
        int length = await file.HandleAsync(Request(opcode, unique, body, nodeId), _reply);
        Assert.True(length >= FuseReply.HeaderSize, $"{opcode} got no reply");
        Assert.Equal(length, BinaryPrimitives.ReadInt32LittleEndian(_reply));
        Assert.Equal(unique, BinaryPrimitives.ReadUInt64LittleEndian(_reply.AsSpan(8)));
        return (-BinaryPrimitives.ReadInt32LittleEndian(_reply.AsSpan(4)), _reply[FuseReply.HeaderSize..length]);
    }

    private static byte[] ReadBody(long offset, uint size) => Body(40, (0, 1, 8), (8, (ulong)offset, 8), (16, size, 4));

    private static byte[] WriteBody(long offset, ReadOnlySpan<byte> data, uint flags = 0)
    {
        var body = Body(FuseWriteIn.Length + data.Length, (0, 1, 8), (8, (ulong)offset, 8), (16, (uint)data.Length, 4), (32, flags, 4));
        data.CopyTo(body.AsSpan(FuseWriteIn.Length));
        return body;
    }

    [Fact]
    public async Task InitNegotiatesTheVersionTheFlagsAndTheTransferSize()
    {
        var file = File();
        const uint offered = FuseReply.AsyncRead | FuseReply.BigWrites | FuseReply.MaxPages | (1 << 1) | (1 << 16);
        var (errno, body) = await SendAsync(file, FuseOpcode.Init, Body(64, (0, 7, 4), (4, 40, 4), (8, 131072, 4), (12, offered, 4)));
        Assert.Equal(0, errno);
        Assert.Equal(64, body.Length);
        Assert.Equal(7u, BinaryPrimitives.ReadUInt32LittleEndian(body));
        Assert.Equal(FuseReply.Minor, BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(4)));
        Assert.Equal(131072u, BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(8)));
        // Only the flags both sides know: no POSIX locks, no writeback cache.
        Assert.Equal(FuseReply.AsyncRead | FuseReply.BigWrites | FuseReply.MaxPages, BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(12)));
        Assert.Equal((uint)FuseFile.MaxTransfer, BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(20)));
        Assert.Equal(FuseFile.MaxTransfer / 4096, BinaryPrimitives.ReadUInt16LittleEndian(body.AsSpan(28)));

        var older = await SendAsync(file, FuseOpcode.Init, Body(16, (0, 7, 4), (4, 27, 4)));
        Assert.Equal(27u, BinaryPrimitives.ReadUInt32LittleEndian(older.Body.AsSpan(4)));
        var newer = await SendAsync(file, FuseOpcode.Init, Body(16, (0, 8, 4), (4, 0, 4)));
        Assert.Equal((0, 8), (newer.Errno, newer.Body.Length));
        Assert.Equal(7u, BinaryPrimitives.ReadUInt32LittleEndian(newer.Body));
        Assert.Equal(FuseErrno.EPROTO, (await SendAsync(file, FuseOpcode.Init, Body(16, (0, 6, 4)))).Errno);
    }

    [Fact]
    public async Task GetAttrDescribesTheNodeAsTheRootRegularFile()
    {
        var (errno, body) = await SendAsync(File(writable: false), FuseOpcode.GetAttr, new byte[16]);
        Assert.Equal(0, errno);
        Assert.Equal(16 + FuseAttr.Length, body.Length);
        var attr = body.AsSpan(16);
        Assert.Equal(1UL, BinaryPrimitives.ReadUInt64LittleEndian(attr));
        Assert.Equal((ulong)DiskSize, BinaryPrimitives.ReadUInt64LittleEndian(attr[8..]));
        Assert.Equal(0x8000u | 0x100, BinaryPrimitives.ReadUInt32LittleEndian(attr[60..]));
        Assert.Equal(1000u, BinaryPrimitives.ReadUInt32LittleEndian(attr[68..]));
        Assert.Equal(100u, BinaryPrimitives.ReadUInt32LittleEndian(attr[72..]));
    }

    [Fact]
    public async Task WritesAndReadsReachTheNodeAndReadsStopAtTheEnd()
    {
        var file = File();
        var data = Enumerable.Range(0, 8192).Select(i => (byte)(i * 7)).ToArray();
        var write = await SendAsync(file, FuseOpcode.Write, WriteBody(4096, data));
        Assert.Equal(0, write.Errno);
        Assert.Equal(8192u, BinaryPrimitives.ReadUInt32LittleEndian(write.Body));

        var read = await SendAsync(file, FuseOpcode.Read, ReadBody(4096, 8192));
        Assert.Equal(data, read.Body);
        var atEnd = await SendAsync(file, FuseOpcode.Read, ReadBody(DiskSize - 100, 4096));
        Assert.Equal(100, atEnd.Body.Length);
        Assert.Empty((await SendAsync(file, FuseOpcode.Read, ReadBody(DiskSize + 4096, 4096))).Body);

        // A fixed-size file takes what fits and refuses a write that starts past the end.
        var partly = await SendAsync(file, FuseOpcode.Write, WriteBody(DiskSize - 512, data));
        Assert.Equal(512u, BinaryPrimitives.ReadUInt32LittleEndian(partly.Body));
        Assert.Equal(FuseErrno.ENOSPC, (await SendAsync(file, FuseOpcode.Write, WriteBody(DiskSize, data))).Errno);
    }

    [Fact]
    public async Task OpenHandlesAreCountedUntilReleased()
    {
        var file = File();
        var open = await SendAsync(file, FuseOpcode.Open, Body(8, (0, 2, 4)));
        Assert.Equal(0, open.Errno);
        ulong handle = BinaryPrimitives.ReadUInt64LittleEndian(open.Body);
        Assert.Equal(FuseReply.DirectIo | FuseReply.ParallelDirectWrites, BinaryPrimitives.ReadUInt32LittleEndian(open.Body.AsSpan(8)));
        Assert.Equal(1, file.OpenHandles);

        Assert.Equal(0, (await SendAsync(file, FuseOpcode.Release, Body(24, (0, handle, 8)))).Errno);
        Assert.Equal(0, file.OpenHandles);
        Assert.Equal(FuseErrno.EBADF, (await SendAsync(file, FuseOpcode.Release, Body(24, (0, handle, 8)))).Errno);
    }

    [Fact]
    public async Task AReadOnlyFileRefusesEveryChange()
    {
        var file = File(writable: false);
        Assert.Equal(FuseErrno.EROFS, (await SendAsync(file, FuseOpcode.Open, Body(8, (0, 1, 4)))).Errno);
        Assert.Equal(0, (await SendAsync(file, FuseOpcode.Open, Body(8, (0, 0, 4)))).Errno);
        Assert.Equal(FuseErrno.EROFS, (await SendAsync(file, FuseOpcode.Write, WriteBody(0, new byte[512]))).Errno);
        Assert.Equal(FuseErrno.EROFS, (await SendAsync(file, FuseOpcode.FAllocate, Body(32, (16, 4096, 8), (24, FuseFAllocateIn.ZeroRange, 4)))).Errno);
        Assert.Equal(FuseErrno.EROFS, (await SendAsync(file, FuseOpcode.SetAttr, Body(88, (0, FuseSetAttrIn.SizeBit, 4), (16, 4096, 8)))).Errno);
    }

    [Fact]
    public async Task SetAttrChangesOnlyTheSizeOfAGrowableFileAndRefusesModeAndOwner()
    {
        var growable = File(growable: true);
        Assert.Equal(FuseErrno.EOPNOTSUPP, (await SendAsync(growable, FuseOpcode.SetAttr, Body(88, (0, FuseSetAttrIn.ModeBit, 4), (68, 0x81ff, 4)))).Errno);
        Assert.Equal(FuseErrno.EOPNOTSUPP, (await SendAsync(growable, FuseOpcode.SetAttr, Body(88, (0, FuseSetAttrIn.UidBit, 4)))).Errno);
        // Times are accepted and not kept.
        Assert.Equal(0, (await SendAsync(growable, FuseOpcode.SetAttr, Body(88, (0, FuseSetAttrIn.MTime | FuseSetAttrIn.ATime, 4)))).Errno);

        var fixedSize = File();
        Assert.Equal(FuseErrno.EPERM, (await SendAsync(fixedSize, FuseOpcode.SetAttr, Body(88, (0, FuseSetAttrIn.SizeBit, 4), (16, 4096, 8)))).Errno);
        Assert.Equal(0, (await SendAsync(fixedSize, FuseOpcode.SetAttr, Body(88, (0, FuseSetAttrIn.SizeBit, 4), (16, (ulong)DiskSize, 8)))).Errno);
        // The memory driver cannot resize: the node's refusal is the reply.
        Assert.Equal(FuseErrno.EOPNOTSUPP, (await SendAsync(growable, FuseOpcode.SetAttr, Body(88, (0, FuseSetAttrIn.SizeBit, 4), (16, 4096, 8)))).Errno);
    }

    [Fact]
    public async Task ConcurrentWritesPastTheEndOfAGrowableFileOnlyGrowIt()
    {
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "grow", Driver = BlockDriverKind.File, Path = _directory.SparseFile(0) });
        var file = File(growable: true, node: "grow");
        var data = new byte[4096];
        var writes = Enumerable.Range(1, 64).Select(i => Task.Run(async () =>
        {
            var reply = new byte[FuseReply.HeaderSize + 8];
            int length = await file.HandleAsync(Request(FuseOpcode.Write, (ulong)i, WriteBody(i * 65536L, data)), reply);
            return -BinaryPrimitives.ReadInt32LittleEndian(reply.AsSpan(4, length - 4));
        })).ToArray();

        Assert.All(await Task.WhenAll(writes), errno => Assert.Equal(0, errno));
        Assert.Equal((64 * 65536L) + 4096, _engine.Graph.Find("grow").Size);
    }

    [Fact]
    public async Task FAllocateRefusesModesItDoesNotKnow()
    {
        var file = File();
        Assert.Equal(FuseErrno.EOPNOTSUPP, (await SendAsync(file, FuseOpcode.FAllocate, Body(32, (16, 4096, 8), (24, 0x20, 4)))).Errno); // INSERT_RANGE
        Assert.Equal(FuseErrno.EOPNOTSUPP, (await SendAsync(file, FuseOpcode.FAllocate, Body(32, (16, 4096, 8), (24, FuseFAllocateIn.PunchHole, 4)))).Errno);
        Assert.Equal(FuseErrno.EINVAL, (await SendAsync(file, FuseOpcode.FAllocate, Body(32, (16, 0, 8), (24, FuseFAllocateIn.ZeroRange, 4)))).Errno);
        Assert.Equal(0, (await SendAsync(file, FuseOpcode.FAllocate, Body(32, (8, 4096, 8), (16, 4096, 8), (24, FuseFAllocateIn.PunchHole | FuseFAllocateIn.KeepSize, 4)))).Errno);
    }

    [Fact]
    public async Task LSeekFindsDataAndHolesAndRefusesOtherWhence()
    {
        var file = File();
        await SendAsync(file, FuseOpcode.Write, WriteBody(256 << 10, new byte[64 << 10].Select(_ => (byte)1).ToArray()));
        async Task<long> Seek(long offset, uint whence)
        {
            var (errno, body) = await SendAsync(file, FuseOpcode.LSeek, Body(24, (8, (ulong)offset, 8), (16, whence, 4)));
            return errno == 0 ? BinaryPrimitives.ReadInt64LittleEndian(body) : -errno;
        }

        Assert.Equal(256 << 10, await Seek(0, FuseLSeekIn.SeekData));
        Assert.Equal(0, await Seek(0, FuseLSeekIn.SeekHole));
        Assert.Equal(320 << 10, await Seek(256 << 10, FuseLSeekIn.SeekHole));
        Assert.Equal(-FuseErrno.ENXIO, await Seek(320 << 10, FuseLSeekIn.SeekData));
        Assert.Equal(-FuseErrno.ENXIO, await Seek(DiskSize, FuseLSeekIn.SeekHole));
        Assert.Equal(-FuseErrno.EINVAL, await Seek(0, 2));
    }

    [Fact]
    public async Task MalformedAndUnknownRequestsGetAnErrnoAndForgetsNoReply()
    {
        var file = File();
        Assert.Equal(FuseErrno.ENOSYS, (await SendAsync(file, FuseOpcode.Lookup, "name\0"u8.ToArray())).Errno);
        Assert.Equal(FuseErrno.ENOSYS, (await SendAsync(file, (FuseOpcode)999, [])).Errno);
        Assert.Equal(FuseErrno.EINVAL, (await SendAsync(file, FuseOpcode.Read, new byte[8])).Errno);
        Assert.Equal(FuseErrno.EINVAL, (await SendAsync(file, FuseOpcode.Write, Body(FuseWriteIn.Length + 10, (16, 4096, 4)))).Errno);
        Assert.Equal(FuseErrno.EINVAL, (await SendAsync(file, FuseOpcode.Read, ReadBody(0, FuseFile.MaxTransfer + 1))).Errno);
        Assert.Equal(FuseErrno.EINVAL, (await SendAsync(file, FuseOpcode.Read, Body(40, (8, ulong.MaxValue, 8), (16, 512, 4)))).Errno);
        Assert.Equal(FuseErrno.ENOENT, (await SendAsync(file, FuseOpcode.GetAttr, new byte[16], nodeId: 2)).Errno);

        // A header whose length disagrees with the bytes read is answered; one too short to carry a header is not.
        var lying = Request(FuseOpcode.GetAttr, 77, new byte[16]);
        BinaryPrimitives.WriteUInt32LittleEndian(lying, 4096);
        Assert.Equal(FuseReply.HeaderSize, await file.HandleAsync(lying, _reply));
        Assert.Equal(-FuseErrno.EINVAL, BinaryPrimitives.ReadInt32LittleEndian(_reply.AsSpan(4)));
        Assert.Equal(0, await file.HandleAsync(new byte[20], _reply));
        Assert.Equal(0, await file.HandleAsync(Request(FuseOpcode.Forget, 5, new byte[8]), _reply));
        Assert.Equal(0, await file.HandleAsync(Request(FuseOpcode.Interrupt, 6, Body(8, (0, 5, 8))), _reply));
    }

    [Fact]
    public async Task StatFsFlushAndDestroySucceed()
    {
        var file = File();
        var (errno, body) = await SendAsync(file, FuseOpcode.StatFs, []);
        Assert.Equal(0, errno);
        Assert.Equal(80, body.Length);
        Assert.Equal((ulong)DiskSize / 4096, BinaryPrimitives.ReadUInt64LittleEndian(body));
        Assert.Equal(0, (await SendAsync(file, FuseOpcode.Flush, new byte[24])).Errno);
        Assert.Equal(0, (await SendAsync(file, FuseOpcode.FSync, new byte[16])).Errno);
        Assert.Equal(0, (await SendAsync(file, FuseOpcode.Destroy, [])).Errno);
    }
}
