using System.Collections.Concurrent;
using ExportPS.Engine.Block;
using ExportPS.Engine.Fuse;

namespace ExportPS.Engine.Exports.Fuse;

/// <summary>
/// A block node as the one regular file of a FUSE mount (QEMU's block/export/fuse.c): answers each kernel request with
/// its reply, without touching /dev/fuse, so it is tested with hand-made requests. The file is the mount root (node id
/// 1); there is no directory, so no lookups. Data requests go to the node (writes through the export's I/O policy);
/// a malformed or refused request is answered with an errno.
/// </summary>
internal sealed class FuseFile(BlockNode node, FuseFileOptions options)
{
    /// <summary>The largest WRITE the kernel may send and the largest READ it asks for (with max_pages 256).</summary>
    public const int MaxTransfer = 1 << 20;

    /// <summary>A buffer that holds any request: its header, the largest write and its header.</summary>
    public const int RequestBufferSize = MaxTransfer + 4096;

    /// <summary>A buffer that holds any reply: the largest read after its header.</summary>
    public const int ReplyBufferSize = MaxTransfer + FuseReply.HeaderSize;

    private const ulong RootNodeId = 1;
    private const uint RegularFile = 0x8000;
    private const uint ReportedBlockSize = 4096;
    private const int OAccessMode = 3;
    private const uint ODsync = 0x1000;
    private const uint AttrValidSeconds = 1;

    private readonly ConcurrentDictionary<ulong, uint> _handles = new();

    /// <summary>One size change at a time, so concurrent writes past the end only ever grow the node.</summary>
    private readonly SemaphoreSlim _resizing = new(1, 1);
    private readonly long _time = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    private long _nextHandle;
    private long _requests;

    /// <summary>Files open on the mount (OPEN not yet RELEASEd).</summary>
    public int OpenHandles => _handles.Count;

    /// <summary>Requests answered.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>
    /// Answers <paramref name="request"/> (one message as read from /dev/fuse) into <paramref name="reply"/> and returns the
    /// reply's length; 0 for the requests that take no reply (FORGET, INTERRUPT) and for a message too short to answer.
    /// </summary>
    public async ValueTask<int> HandleAsync(ReadOnlyMemory<byte> request, Memory<byte> reply)
    {
        if (request.Length < FuseInHeader.Size)
        {
            return 0;
        }

        bool whole = FuseInHeader.TryRead(request.Span, out var header);
        Interlocked.Increment(ref _requests);
        if (header.Opcode is FuseOpcode.Forget or FuseOpcode.BatchForget or FuseOpcode.Interrupt)
        {
            // No reply; requests are short, so an interrupted one is simply allowed to finish.
            return 0;
        }

        try
        {
            if (!whole)
            {
                throw new FuseProtocolException(FuseErrno.EINVAL, $"Request length {header.Length} differs from the {request.Length} bytes read");
            }

            if (header.Opcode != FuseOpcode.Init && header.NodeId != RootNodeId)
            {
                throw new FuseProtocolException(FuseErrno.ENOENT, $"No node {header.NodeId}: the mount has one file");
            }

            return await DispatchAsync(header, request[FuseInHeader.Size..], reply).ConfigureAwait(false);
        }
        catch (FuseProtocolException e)
        {
            return FuseReply.Status(reply.Span, header.Unique, e.Errno);
        }
        catch (BlockIoException e)
        {
            return FuseReply.Status(reply.Span, header.Unique, Errno(e.Error));
        }
#pragma warning disable CA1031 // A failure of one request is that request's EIO; the mount keeps serving.
        catch (Exception)
#pragma warning restore CA1031
        {
            return FuseReply.Status(reply.Span, header.Unique, FuseErrno.EIO);
        }
    }

    private ValueTask<int> DispatchAsync(FuseInHeader header, ReadOnlyMemory<byte> body, Memory<byte> reply)
    {
        ulong unique = header.Unique;
        return header.Opcode switch
        {
            FuseOpcode.Init => Done(Init(unique, FuseInitIn.Read(body.Span), reply.Span)),
            FuseOpcode.GetAttr => Done(Attr(unique, reply.Span)),
            FuseOpcode.SetAttr => SetAttrAsync(unique, FuseSetAttrIn.Read(body.Span), reply),
            FuseOpcode.Open => Done(Open(unique, FuseOpenIn.Read(body.Span), reply.Span)),
            FuseOpcode.Release => Done(Release(unique, FuseReleaseIn.Read(body.Span), reply.Span)),
            FuseOpcode.Read => ReadAsync(unique, FuseReadIn.Read(body.Span), reply),
            FuseOpcode.Write => WriteAsync(unique, FuseWriteIn.Read(body.Span), body[FuseWriteIn.Length..], reply),
            FuseOpcode.Flush or FuseOpcode.FSync => FlushAsync(unique, reply),
            FuseOpcode.FAllocate => FAllocateAsync(unique, FuseFAllocateIn.Read(body.Span), reply),
            FuseOpcode.LSeek => LSeekAsync(unique, FuseLSeekIn.Read(body.Span), reply),
            FuseOpcode.StatFs => Done(StatFs(unique, reply.Span)),
            FuseOpcode.Destroy => Done(FuseReply.Status(reply.Span, unique, 0)),
            _ => Done(FuseReply.Status(reply.Span, unique, FuseErrno.ENOSYS)),
        };
    }

    private static ValueTask<int> Done(int length) => ValueTask.FromResult(length);

    private static int Init(ulong unique, FuseInitIn init, Span<byte> reply)
    {
        if (init.Major < FuseReply.Major)
        {
            throw new FuseProtocolException(FuseErrno.EPROTO, $"FUSE protocol {init.Major}.{init.Minor} is too old");
        }

        if (init.Major > FuseReply.Major)
        {
            return FuseReply.InitVersionOnly(reply, unique);
        }

        uint wanted = FuseReply.AsyncRead | FuseReply.BigWrites | FuseReply.AsyncDio | FuseReply.MaxPages;
        return FuseReply.Init(reply, unique, Math.Min(init.Minor, FuseReply.Minor), init.MaxReadahead, init.Flags & wanted,
            MaxTransfer, MaxTransfer / 4096, maxBackground: 64);
    }

    private int Attr(ulong unique, Span<byte> reply) => FuseReply.Attr(reply, unique, CurrentAttr(), AttrValidSeconds);

    private FuseAttr CurrentAttr()
    {
        // Owner read (and write when writable); others read too when the mount lets them in (allow_other).
        uint mode = RegularFile | 0x100 | (options.Writable ? 0x80u : 0) | (options.AllowOther ? 0x24u : 0);
        return new FuseAttr(RootNodeId, node.Size, (node.AllocatedBytes + 511) / 512, _time, mode, options.Uid, options.Gid, ReportedBlockSize);
    }

    private async ValueTask<int> SetAttrAsync(ulong unique, FuseSetAttrIn setAttr, Memory<byte> reply)
    {
        // Times are not kept (the file shows the export's start time), so setting them changes nothing; the mode and
        // owner are the export's, as in QEMU.
        if ((setAttr.Valid & (FuseSetAttrIn.ModeBit | FuseSetAttrIn.UidBit | FuseSetAttrIn.GidBit)) != 0)
        {
            return FuseReply.Status(reply.Span, unique, FuseErrno.EOPNOTSUPP);
        }

        if ((setAttr.Valid & FuseSetAttrIn.SizeBit) != 0 && setAttr.Size != node.Size)
        {
            RequireWritable();
            RequireGrowable();
            await ResizeAsync(setAttr.Size, growOnly: false).ConfigureAwait(false);
        }

        return Attr(unique, reply.Span);
    }

    private int Open(ulong unique, FuseOpenIn open, Span<byte> reply)
    {
        if ((open.Flags & OAccessMode) != 0)
        {
            RequireWritable();
        }

        ulong handle = (ulong)Interlocked.Increment(ref _nextHandle);
        _handles[handle] = open.Flags;
        // Direct I/O: every read and write reaches the node, so the file shows what other exports of it write.
        return FuseReply.Open(reply, unique, handle, FuseReply.DirectIo | FuseReply.ParallelDirectWrites);
    }

    private int Release(ulong unique, FuseReleaseIn release, Span<byte> reply) =>
        FuseReply.Status(reply, unique, _handles.TryRemove(release.Handle, out _) ? 0 : FuseErrno.EBADF);

    private async ValueTask<int> ReadAsync(ulong unique, FuseReadIn read, Memory<byte> reply)
    {
        if (read.Size > MaxTransfer)
        {
            throw new FuseProtocolException(FuseErrno.EINVAL, $"READ of {read.Size} bytes exceeds max_read");
        }

        long size = node.Size;
        int length = (int)Math.Clamp(size - read.Offset, 0, read.Size);
        if (length > 0)
        {
            await node.ReadAsync(read.Offset, reply.Slice(FuseReply.HeaderSize, length)).ConfigureAwait(false);
        }

        return FuseReply.Data(reply.Span, unique, length);
    }

    private async ValueTask<int> WriteAsync(ulong unique, FuseWriteIn write, ReadOnlyMemory<byte> data, Memory<byte> reply)
    {
        RequireWritable();
        long end = write.Offset + write.Size;
        if (end > node.Size)
        {
            if (options.Growable)
            {
                await GrowAsync(end).ConfigureAwait(false);
            }
            else if (write.Offset >= node.Size)
            {
                return FuseReply.Status(reply.Span, unique, FuseErrno.ENOSPC);
            }
            else
            {
                // A fixed-size file takes what fits (a short write), as a block device would.
                data = data[..(int)(node.Size - write.Offset)];
            }
        }

        await options.IoPolicy.WriteAsync(node, write.Offset, data, fua: (write.Flags & ODsync) != 0).ConfigureAwait(false);
        return FuseReply.Write(reply.Span, unique, (uint)data.Length);
    }

    private async ValueTask<int> FlushAsync(ulong unique, Memory<byte> reply)
    {
        await node.FlushAsync().ConfigureAwait(false);
        return FuseReply.Status(reply.Span, unique, 0);
    }

    /// <summary>
    /// fallocate(2): punching a hole zeroes the range and lets the node deallocate it (so it reads as zeroes whatever the
    /// node's discard setting); zeroing a range writes zeroes; allocating makes the holes of the range allocated zeroes.
    /// Without KEEP_SIZE a range past the end grows a growable file.
    /// </summary>
    private async ValueTask<int> FAllocateAsync(ulong unique, FuseFAllocateIn request, Memory<byte> reply)
    {
        const uint known = FuseFAllocateIn.KeepSize | FuseFAllocateIn.PunchHole | FuseFAllocateIn.ZeroRange;
        bool punch = (request.Mode & FuseFAllocateIn.PunchHole) != 0;
        bool zero = (request.Mode & FuseFAllocateIn.ZeroRange) != 0;
        bool keepSize = (request.Mode & FuseFAllocateIn.KeepSize) != 0;
        if ((request.Mode & ~known) != 0 || (punch && (zero || !keepSize)))
        {
            return FuseReply.Status(reply.Span, unique, FuseErrno.EOPNOTSUPP);
        }

        if (request.Length <= 0 || request.Length > long.MaxValue - request.Offset)
        {
            throw new FuseProtocolException(FuseErrno.EINVAL, "fallocate needs a positive length");
        }

        RequireWritable();
        long end = request.Offset + request.Length;
        if (!keepSize && end > node.Size)
        {
            RequireGrowable();
            await GrowAsync(end).ConfigureAwait(false);
        }

        long start = Math.Min(request.Offset, node.Size);
        long length = Math.Min(end, node.Size) - start;
        if (length == 0)
        {
            return FuseReply.Status(reply.Span, unique, 0);
        }

        if (punch || zero)
        {
            var flags = punch ? WriteZeroesFlags.MayUnmap : WriteZeroesFlags.None;
            await options.IoPolicy.WriteZeroesAsync(node, start, length, flags, fua: false).ConfigureAwait(false);
        }
        else
        {
            await AllocateHolesAsync(start, length).ConfigureAwait(false);
        }

        return FuseReply.Status(reply.Span, unique, 0);
    }

    /// <summary>Plain fallocate: the holes of the range become allocated zeroes, its data stays.</summary>
    private async ValueTask AllocateHolesAsync(long offset, long length)
    {
        long end = offset + length;
        while (offset < end)
        {
            var status = await node.GetBlockStatusAsync(offset, end - offset).ConfigureAwait(false);
            if (!status.Data)
            {
                await options.IoPolicy.WriteZeroesAsync(node, offset, status.Length, WriteZeroesFlags.None, fua: false).ConfigureAwait(false);
            }

            offset += status.Length;
        }
    }

    /// <summary>SEEK_DATA and SEEK_HOLE from the node's block status; past the end there is nothing (ENXIO).</summary>
    private async ValueTask<int> LSeekAsync(ulong unique, FuseLSeekIn seek, Memory<byte> reply)
    {
        if (seek.Whence is not (FuseLSeekIn.SeekData or FuseLSeekIn.SeekHole))
        {
            throw new FuseProtocolException(FuseErrno.EINVAL, $"lseek whence {seek.Whence} is not SEEK_DATA or SEEK_HOLE");
        }

        bool wantData = seek.Whence == FuseLSeekIn.SeekData;
        long size = node.Size;
        long offset = seek.Offset;
        while (offset < size)
        {
            var status = await node.GetBlockStatusAsync(offset, size - offset).ConfigureAwait(false);
            if (status.Data == wantData)
            {
                return FuseReply.LSeek(reply.Span, unique, offset);
            }

            offset += status.Length;
        }

        // Past the last data there is no data; the end of the file is a hole.
        return wantData || seek.Offset >= size
            ? FuseReply.Status(reply.Span, unique, FuseErrno.ENXIO)
            : FuseReply.LSeek(reply.Span, unique, size);
    }

    private int StatFs(ulong unique, Span<byte> reply) =>
        FuseReply.StatFs(reply, unique, (ulong)((node.Size + ReportedBlockSize - 1) / ReportedBlockSize), 0, ReportedBlockSize);

    private ValueTask GrowAsync(long size) => ResizeAsync(size, growOnly: true);

    /// <summary>Truncates the node to <paramref name="size"/>; with <paramref name="growOnly"/> a node that is already larger keeps its size.</summary>
    private async ValueTask ResizeAsync(long size, bool growOnly)
    {
        await _resizing.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!growOnly || size > node.Size)
            {
                await node.TruncateAsync(size).ConfigureAwait(false);
            }
        }
        finally
        {
            _resizing.Release();
        }
    }

    /// <summary>Only a growable export changes its node's size.</summary>
    private void RequireGrowable()
    {
        if (!options.Growable)
        {
            throw new FuseProtocolException(FuseErrno.EPERM, "The export is not growable");
        }
    }

    private void RequireWritable()
    {
        if (!options.Writable)
        {
            throw new FuseProtocolException(FuseErrno.EROFS, "The export is read-only");
        }
    }

    private static int Errno(BlockError error) => error switch
    {
        BlockError.InvalidArgument => FuseErrno.EINVAL,
        BlockError.ReadOnly => FuseErrno.EROFS,
        BlockError.NoSpace => FuseErrno.ENOSPC,
        BlockError.NotSupported => FuseErrno.EOPNOTSUPP,
        _ => FuseErrno.EIO,
    };
}
