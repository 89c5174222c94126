using System.Numerics;
using System.Runtime.InteropServices;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Interop;
using Microsoft.Extensions.ObjectPool;
using Microsoft.Win32.SafeHandles;

namespace ExportPS.Engine.Block.Drivers;

/// <summary>
/// QEMU's file driver: a raw image file through positional I/O on one descriptor (no shared file offset, so requests
/// from several threads need no lock). Holes are the unallocated ranges; discard and zeroes punch or zero them with
/// fallocate. With O_DIRECT (cache.direct), requests the kernel cannot take as they are (offset, length or buffer not
/// on the block boundary) go through aligned bounce buffers from a pool.
/// Requests run synchronously on the caller's thread: with the page cache they complete in microseconds.
/// </summary>
internal sealed class FileBlockDriver : IBlockDriver
{
    /// <summary>Bounce window: large enough that a 32 MiB NBD request takes 32 passes, small enough to pool a few.</summary>
    private const int BounceSize = 1 << 20;

    /// <summary>O_DIRECT alignment when the kernel does not report it (statx DIOALIGN): safe for 512 and 4K devices.</summary>
    private const int DefaultDirectAlignment = 4096;

    private readonly SafeFileHandle _handle;
    private readonly string _path;
    private readonly int _alignment;
    private readonly ObjectPool<AlignedBuffer>? _bounce;

    /// <summary>
    /// Serializes read-modify-write of partial blocks under O_DIRECT, so two unaligned requests sharing a block keep both
    /// their bytes. Writes of whole blocks pass a gate instead (<see cref="EnterWholeBlockWrite"/>): while no
    /// read-modify-write runs they take no lock, and one that starts waits for those already past the gate, so none of
    /// them lands between its read and its write and gets overwritten with the old content.
    /// </summary>
    private readonly object _partialBlockLock = new();
    private int _partialBlockWrites;
    private int _wholeBlockWrites;

    /// <summary>
    /// The last data range SEEK_DATA/SEEK_HOLE found (QEMU keeps the same one-entry cache): lseek on tmpfs walks the whole
    /// file, so block status over a large image would otherwise cost milliseconds per query. Writes only turn holes into
    /// data, so they leave it valid; discard and write-zeroes may punch holes and bump the generation once they did, which
    /// retires the entry (also one stored by a query that raced the punch).
    /// </summary>
    private DataRange? _lastData;
    private int _holeGeneration;
    private long _size;

    private FileBlockDriver(SafeFileHandle handle, string path, long size, int alignment, int blockSize)
    {
        _handle = handle;
        _path = path;
        _size = size;
        AllocationGranularity = blockSize;
        _alignment = alignment;
        if (alignment > 0)
        {
            _bounce = new DefaultObjectPoolProvider().Create(new AlignedBuffer.Policy(BounceSize, alignment));
        }
    }

    public static FileBlockDriver Open(string path, bool readOnly, bool direct)
    {
        // Check the type by path first: opening a FIFO would block.
        if (Native.StatPath(Native.AT_FDCWD, path, 0, Native.STATX_TYPE, out var byPath) != 0)
        {
            throw OpenFailed(path, Marshal.GetLastPInvokeError());
        }

        RequireRegular(path, byPath);
        int flags = (readOnly ? Native.O_RDONLY : Native.O_RDWR) | Native.O_CLOEXEC | (direct ? Native.O_DIRECT : 0);
        int fd = Native.Open(path, flags, 0);
        if (fd < 0)
        {
            throw OpenFailed(path, Marshal.GetLastPInvokeError());
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            var stat = Stat(handle, path);
            RequireRegular(path, stat);
            int alignment = direct ? DirectAlignment(stat) : 0;
            if (direct && !readOnly && stat.Size % alignment != 0)
            {
                // A read-modify-write of the last, partial block would grow the file.
                throw new EngineException(ErrorIds.BlockNodeOpenFailed, EngineErrorCategory.InvalidArgument,
                    $"Could not open '{path}': cache.direct needs the image size to be a multiple of {alignment} bytes") { Target = path };
            }

            // The file system allocates whole blocks (st_blksize is the block size on local file systems).
            int blockSize = BitOperations.IsPow2(stat.BlockSize) ? (int)stat.BlockSize : 4096;
            return new FileBlockDriver(handle, path, stat.Size, alignment, blockSize);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public long Size => Volatile.Read(ref _size);

    public long AllocatedBytes => Stat(_handle, _path).Blocks * 512;

    public int AllocationGranularity { get; }

    /// <summary>ZERO_RANGE leaves unwritten extents, which SEEK_DATA reports as holes.</summary>
    public bool ZeroesStayAllocated => false;

    /// <summary>Reads are blocking preads (page cache or O_DIRECT).</summary>
    public bool ReadsCompleteInline => true;

    public ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        try
        {
            if (_bounce is null || IsAligned(offset, destination.Span))
            {
                ReadFully(offset, destination.Span);
            }
            else
            {
                ReadBounced(offset, destination.Span);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw IoFailed("read", e);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> source, bool forceUnitAccess, CancellationToken cancellationToken)
    {
        try
        {
            WriteCore(offset, source.Span);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw IoFailed("write", e);
        }

        if (forceUnitAccess)
        {
            Sync();
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        Sync();
        return ValueTask.CompletedTask;
    }

    /// <summary>ftruncate; a shrink drops the data range cached for SEEK_DATA, which may now lie past the end.</summary>
    public ValueTask TruncateAsync(long size, CancellationToken cancellationToken)
    {
        if (_alignment > 0 && size % _alignment != 0)
        {
            throw new BlockIoException(BlockError.InvalidArgument,
                $"cache.direct needs the image size of '{_path}' to be a multiple of {_alignment} bytes");
        }

        if (Native.FTruncate(_handle, size) != 0)
        {
            throw Failed("truncate", Marshal.GetLastPInvokeError());
        }

        Interlocked.Increment(ref _holeGeneration);
        Volatile.Write(ref _size, size);
        return ValueTask.CompletedTask;
    }

    /// <summary>Punches a hole; a file system that cannot punch makes this a no-op (discard is a hint).</summary>
    public ValueTask DiscardAsync(long offset, long length, CancellationToken cancellationToken)
    {
        if (length > 0)
        {
            try
            {
                TryFAllocate(Native.FALLOC_FL_PUNCH_HOLE | Native.FALLOC_FL_KEEP_SIZE, offset, length, "discard");
            }
            finally
            {
                Interlocked.Increment(ref _holeGeneration);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Cheapest first: punch (may unmap), then ZERO_RANGE, then punch and re-allocate; only when the file system can do
    /// none of them are zeroes written, and FastOnly refuses that.
    /// </summary>
    public ValueTask WriteZeroesAsync(long offset, long length, WriteZeroesFlags flags, CancellationToken cancellationToken)
    {
        if (length == 0)
        {
            return ValueTask.CompletedTask;
        }

        try
        {
            return ZeroRange(offset, length, flags);
        }
        finally
        {
            Interlocked.Increment(ref _holeGeneration);
        }
    }

    private ValueTask ZeroRange(long offset, long length, WriteZeroesFlags flags)
    {
        if ((flags & WriteZeroesFlags.MayUnmap) != 0 && TryFAllocate(Native.FALLOC_FL_PUNCH_HOLE | Native.FALLOC_FL_KEEP_SIZE, offset, length))
        {
            return ValueTask.CompletedTask;
        }

        if (TryFAllocate(Native.FALLOC_FL_ZERO_RANGE, offset, length)
            || (TryFAllocate(Native.FALLOC_FL_PUNCH_HOLE | Native.FALLOC_FL_KEEP_SIZE, offset, length) && TryFAllocate(0, offset, length)))
        {
            return ValueTask.CompletedTask;
        }

        if ((flags & WriteZeroesFlags.FastOnly) != 0)
        {
            throw new BlockIoException(BlockError.NotSupported, $"Cannot zero '{_path}' quickly: the file system supports neither hole punching nor zero ranges");
        }

        WriteZeroesSlowly(offset, length);
        return ValueTask.CompletedTask;
    }

    /// <summary>A hole is unallocated and reads as zeroes; everything else is data.</summary>
    public ValueTask<BlockExtent> GetBlockStatusAsync(long offset, long length, CancellationToken cancellationToken)
    {
        int generation = Volatile.Read(ref _holeGeneration);
        if (Volatile.Read(ref _lastData) is { } cached && cached.Generation == generation && offset >= cached.Start && offset < cached.End)
        {
            return ValueTask.FromResult(new BlockExtent(Math.Min(cached.End - offset, length), Allocated: true, Zero: false));
        }

        long data = Native.LSeek(_handle, offset, Native.SEEK_DATA);
        if (data < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno == Native.ENXIO
                ? ValueTask.FromResult(new BlockExtent(length, Allocated: false, Zero: true))
                : ValueTask.FromResult(new BlockExtent(length, Allocated: true, Zero: false));
        }

        if (data > offset)
        {
            return ValueTask.FromResult(new BlockExtent(Math.Min(data - offset, length), Allocated: false, Zero: true));
        }

        long hole = Native.LSeek(_handle, offset, Native.SEEK_HOLE);
        if (hole > offset)
        {
            Volatile.Write(ref _lastData, new DataRange(offset, hole, generation));
        }

        long run = hole > offset ? Math.Min(hole - offset, length) : length;
        return ValueTask.FromResult(new BlockExtent(run, Allocated: true, Zero: false));
    }

    private void ReadFully(long offset, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            int read = RandomAccess.Read(_handle, destination, offset);
            if (read == 0)
            {
                // The file shrank under us: what is gone reads as zeroes, like a hole.
                destination.Clear();
                return;
            }

            offset += read;
            destination = destination[read..];
        }
    }

    private void ReadBounced(long offset, Span<byte> destination)
    {
        var buffer = _bounce!.Get();
        try
        {
            while (!destination.IsEmpty)
            {
                var pass = NextBouncePass(offset, destination.Length);
                var bounce = buffer.Span[..pass.Window];
                ReadFully(pass.Start, bounce);
                bounce.Slice(pass.Skip, pass.Part).CopyTo(destination);
                offset += pass.Part;
                destination = destination[pass.Part..];
            }
        }
        finally
        {
            _bounce.Return(buffer);
        }
    }

    private void WriteCore(long offset, ReadOnlySpan<byte> source)
    {
        if (_bounce is null)
        {
            RandomAccess.Write(_handle, source, offset);
        }
        else if (IsAligned(offset, source))
        {
            WriteWholeBlocks(offset, source);
        }
        else
        {
            WriteBounced(offset, source);
        }
    }

    private void WriteBounced(long offset, ReadOnlySpan<byte> source)
    {
        var buffer = _bounce!.Get();
        try
        {
            while (!source.IsEmpty)
            {
                var pass = NextBouncePass(offset, source.Length);
                var bounce = buffer.Span[..pass.Window];
                if (pass.Skip == 0 && pass.Part == pass.Window)
                {
                    source[..pass.Part].CopyTo(bounce);
                    WriteWholeBlocks(pass.Start, bounce);
                }
                else
                {
                    WritePartialBlocks(pass, source[..pass.Part], bounce);
                }

                offset += pass.Part;
                source = source[pass.Part..];
            }
        }
        finally
        {
            _bounce.Return(buffer);
        }
    }

    private void WriteWholeBlocks(long offset, ReadOnlySpan<byte> source)
    {
        bool locked = EnterWholeBlockWrite();
        try
        {
            RandomAccess.Write(_handle, source, offset);
        }
        finally
        {
            ExitWholeBlockWrite(locked);
        }
    }

    private void WritePartialBlocks(BouncePass pass, ReadOnlySpan<byte> source, Span<byte> bounce)
    {
        lock (_partialBlockLock)
        {
            // Announce first, then wait out the whole-block writes already past the gate (Interlocked is a full fence).
            Interlocked.Increment(ref _partialBlockWrites);
            try
            {
                var wait = default(SpinWait);
                while (Volatile.Read(ref _wholeBlockWrites) != 0)
                {
                    wait.SpinOnce();
                }

                // Only the partial first and last blocks need their old content.
                ReadFully(pass.Start, bounce[.._alignment]);
                ReadFully(pass.Start + pass.Window - _alignment, bounce[(pass.Window - _alignment)..]);
                source.CopyTo(bounce[pass.Skip..]);
                RandomAccess.Write(_handle, bounce, pass.Start);
            }
            finally
            {
                Interlocked.Decrement(ref _partialBlockWrites);
            }
        }
    }

    /// <summary>
    /// Lets a write of whole blocks through: without a lock while no read-modify-write runs (true when it took
    /// <see cref="_partialBlockLock"/> instead). Pair with <see cref="ExitWholeBlockWrite"/>. Without O_DIRECT there is
    /// no read-modify-write, so the gate stays open and costs nothing.
    /// </summary>
    private bool EnterWholeBlockWrite()
    {
        if (_bounce is null)
        {
            return false;
        }

        Interlocked.Increment(ref _wholeBlockWrites);
        if (Volatile.Read(ref _partialBlockWrites) == 0)
        {
            return false;
        }

        Interlocked.Decrement(ref _wholeBlockWrites);
        Monitor.Enter(_partialBlockLock);
        return true;
    }

    private void ExitWholeBlockWrite(bool locked)
    {
        if (_bounce is null)
        {
            return;
        }

        if (locked)
        {
            Monitor.Exit(_partialBlockLock);
        }
        else
        {
            Interlocked.Decrement(ref _wholeBlockWrites);
        }
    }

    /// <summary>The next bounce-buffer pass over [offset, offset + length): the aligned window and where the range sits in it.</summary>
    private BouncePass NextBouncePass(long offset, int length)
    {
        long start = AlignDown(offset);
        int skip = (int)(offset - start);
        int window = (int)Math.Min(BounceSize, AlignUp(offset + length) - start);
        return new BouncePass(start, skip, window, Math.Min(length, window - skip));
    }

    private void WriteZeroesSlowly(long offset, long length)
    {
        var zeroes = new byte[(int)Math.Min(length, BounceSize)];
        try
        {
            while (length > 0)
            {
                int part = (int)Math.Min(length, zeroes.Length);
                WriteCore(offset, zeroes.AsSpan(0, part));
                offset += part;
                length -= part;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw IoFailed("write zeroes", e);
        }
    }

    private unsafe bool IsAligned(long offset, ReadOnlySpan<byte> buffer)
    {
        fixed (byte* pointer = buffer)
        {
            return (((ulong)offset | (uint)buffer.Length | (ulong)pointer) & (ulong)(_alignment - 1)) == 0;
        }
    }

    private long AlignDown(long value) => value & -(long)_alignment;

    private long AlignUp(long value) => AlignDown(value + _alignment - 1);

    private void Sync()
    {
        while (Native.FDataSync(_handle) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Native.EINTR)
            {
                throw Failed("flush", errno);
            }
        }
    }

    private int FAllocate(int mode, long offset, long length)
    {
        // Punching or zeroing whole blocks must not land inside a read-modify-write either.
        bool locked = EnterWholeBlockWrite();
        try
        {
            while (Native.FAllocate(_handle, mode, offset, length) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno != Native.EINTR)
                {
                    return errno;
                }
            }

            return 0;
        }
        finally
        {
            ExitWholeBlockWrite(locked);
        }
    }

    /// <summary>True when done; false when the file system lacks this mode; throws for real failures.</summary>
    private bool TryFAllocate(int mode, long offset, long length, string operation = "write zeroes")
    {
        int errno = FAllocate(mode, offset, length);
        return errno switch
        {
            0 => true,
            Native.EOPNOTSUPP => false,
            _ => throw Failed(operation, errno),
        };
    }

    private static Native.StatX Stat(SafeFileHandle handle, string path)
    {
        if (Native.StatHandle(handle, string.Empty, Native.AT_EMPTY_PATH, Native.STATX_TYPE | Native.STATX_SIZE | Native.STATX_BLOCKS | Native.STATX_DIOALIGN, out var stat) != 0)
        {
            throw OpenFailed(path, Marshal.GetLastPInvokeError());
        }

        return stat;
    }

    private static int DirectAlignment(Native.StatX stat)
    {
        if ((stat.Mask & Native.STATX_DIOALIGN) != 0 && stat.DioOffsetAlign > 0)
        {
            return (int)BitOperations.RoundUpToPowerOf2(Math.Max(stat.DioOffsetAlign, stat.DioMemAlign));
        }

        return DefaultDirectAlignment;
    }

    private static void RequireRegular(string path, Native.StatX stat)
    {
        if ((stat.Mode & Native.S_IFMT) != Native.S_IFREG)
        {
            throw new EngineException(ErrorIds.BlockNodeOpenFailed, EngineErrorCategory.InvalidArgument,
                $"'file' driver requires '{path}' to be a regular file") { Target = path };
        }
    }

    private static EngineException OpenFailed(string path, int errno) =>
        new(ErrorIds.BlockNodeOpenFailed, errno switch
        {
            Native.ENOENT => EngineErrorCategory.NotFound,
            1 or 13 or 30 => EngineErrorCategory.PermissionDenied, // EPERM, EACCES, EROFS
            _ => EngineErrorCategory.IoError,
        }, $"Could not open '{path}': {Native.ErrorText(errno)}") { Target = path };

    private BlockIoException Failed(string operation, int errno) =>
        new(errno is Native.ENOSPC or Native.EDQUOT ? BlockError.NoSpace : BlockError.Io,
            $"Failed to {operation} '{_path}': {Native.ErrorText(errno)}");

    /// <summary>.NET reports errno as the IOException's HResult on Unix.</summary>
    internal BlockIoException IoFailed(string operation, Exception error) =>
        new(error.HResult is Native.ENOSPC or Native.EDQUOT ? BlockError.NoSpace : BlockError.Io,
            $"Failed to {operation} '{_path}': {error.Message}", error);

    public void Dispose() => _handle.Dispose();

    private sealed record DataRange(long Start, long End, int Generation);

    /// <summary>One pass through the bounce buffer: the aligned window [Start, Start + Window) holds Part bytes of the request from Skip on.</summary>
    private readonly record struct BouncePass(long Start, int Skip, int Window, int Part);
}
