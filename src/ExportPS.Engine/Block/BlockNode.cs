using System.Buffers;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Block;

/// <summary>
/// A named block node: a driver, an optional backing node and its dirty bitmaps.
/// Every request passes through here, so range and read-only checks, the node options QEMU puts on every blockdev
/// (discard, detect-zeroes, cache.no-flush), backing fall-through, copy-on-write and bitmap marking happen once for all
/// drivers and all exports.
/// </summary>
public sealed class BlockNode : IDisposable
{
    private const int ClusterLockStripes = 64;

    private readonly IBlockDriver _driver;

    /// <summary>
    /// With a backing node: serializes the copy-on-write of a partly written allocation unit (striped by unit), so two
    /// requests sharing a unit never copy backing data over each other's bytes.
    /// </summary>
    private readonly SemaphoreSlim[]? _clusterLocks;

    internal BlockNode(BlockNodeOptions options, IBlockDriver driver, BlockNode? backing, BlockNode? file = null)
    {
        Options = options;
        _driver = driver;
        Backing = backing;
        File = file;
        Bitmaps = new DirtyBitmapSet(this);
        if (backing is not null)
        {
            _clusterLocks = new SemaphoreSlim[ClusterLockStripes];
            for (int i = 0; i < ClusterLockStripes; i++)
            {
                _clusterLocks[i] = new SemaphoreSlim(1, 1);
            }
        }
    }

    public BlockNodeOptions Options { get; }

    /// <summary>The driver, for the graph's calls that only some drivers take (x-fault-inject's rules, an nbd node's connection).</summary>
    internal IBlockDriver Driver => _driver;

    public string NodeName => Options.NodeName;

    public BlockNode? Backing { get; }

    /// <summary>The child a format driver (raw) passes its requests to.</summary>
    public BlockNode? File { get; }

    public bool ReadOnly => Options.ReadOnly || _driver.ReadOnly;

    public long Size => _driver.Size;

    public long AllocatedBytes => _driver.AllocatedBytes;

    /// <summary>The driver's allocation unit (see <see cref="IBlockDriver.AllocationGranularity"/>).</summary>
    public int AllocationGranularity => _driver.AllocationGranularity;

    public bool ZeroesStayAllocated => _driver.ZeroesStayAllocated;

    public DirtyBitmapSet Bitmaps { get; }

    /// <summary>Reads finish within the call, through the whole backing chain (see <see cref="IBlockDriver.ReadsCompleteInline"/>).</summary>
    public bool ReadsCompleteInline => _driver.ReadsCompleteInline && (Backing?.ReadsCompleteInline ?? true);

    // Requests check their arguments synchronously (a refused request throws at the call), and the common case, a node
    // without backing whose driver completes synchronously, allocates nothing: no async state machine is involved.

    public ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        CheckRange(offset, destination.Length);
        return Backing is null
            ? _driver.ReadAsync(offset, destination, cancellationToken)
            : ReadThroughBackingAsync(offset, destination, cancellationToken);
    }

    /// <summary>Reads what this layer allocates from the driver; the rest falls through to the backing chain.</summary>
    private async ValueTask ReadThroughBackingAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (!destination.IsEmpty)
        {
            var extent = await _driver.GetBlockStatusAsync(offset, destination.Length, cancellationToken).ConfigureAwait(false);
            int run = (int)Math.Min(extent.Length, destination.Length);
            var part = destination[..run];
            if (extent.Allocated)
            {
                await _driver.ReadAsync(offset, part, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await ReadBackingAsync(offset, part, cancellationToken).ConfigureAwait(false);
            }

            offset += run;
            destination = destination[run..];
        }
    }

    /// <summary>
    /// Writes <paramref name="source"/>. With detect-zeroes, all-zero data becomes a write-zeroes request instead (one that
    /// may deallocate with detect-zeroes=unmap); with cache.no-flush, force-unit-access is dropped as a flush would be.
    /// </summary>
    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> source, bool forceUnitAccess = false, CancellationToken cancellationToken = default)
    {
        CheckWritable();
        CheckRange(offset, source.Length);
        forceUnitAccess &= !Options.NoFlush;
        if (Options.DetectZeroes != BlockDetectZeroes.Off && !source.IsEmpty && !source.Span.ContainsAnyExcept((byte)0))
        {
            var flags = Options.DetectZeroes == BlockDetectZeroes.Unmap ? WriteZeroesFlags.MayUnmap : WriteZeroesFlags.None;
            return forceUnitAccess
                ? WriteZeroesThenFlushAsync(offset, source.Length, flags, cancellationToken)
                : WriteZeroesAsync(offset, source.Length, flags, cancellationToken);
        }

        return MarkDirtyWhenDone(
            Backing is null
                ? _driver.WriteAsync(offset, source, forceUnitAccess, cancellationToken)
                : CopyOnWriteAsync(offset, source.Length, source, forceUnitAccess, WriteZeroesFlags.None, cancellationToken),
            offset,
            source.Length);
    }

    /// <summary>A detected all-zero write the caller wanted durable: drivers take no force-unit-access on write-zeroes.</summary>
    private async ValueTask WriteZeroesThenFlushAsync(long offset, long length, WriteZeroesFlags flags, CancellationToken cancellationToken)
    {
        await WriteZeroesAsync(offset, length, flags, cancellationToken).ConfigureAwait(false);
        await _driver.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Makes written data durable; with cache.no-flush it succeeds without doing anything, as in QEMU.</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken = default) =>
        Options.NoFlush ? ValueTask.CompletedTask : _driver.FlushAsync(cancellationToken);

    /// <summary>
    /// Trim. Without discard=unmap (QEMU's default discard=ignore) it succeeds and changes nothing. With a backing node, a
    /// discarded range must not expose the backing data again, so it becomes explicit zeroes.
    /// </summary>
    public ValueTask DiscardAsync(long offset, long length, CancellationToken cancellationToken = default)
    {
        CheckWritable();
        CheckRange(offset, length);
        if (Options.Discard == BlockDiscardMode.Ignore)
        {
            return ValueTask.CompletedTask;
        }

        return MarkDirtyWhenDone(
            Backing is null
                ? _driver.DiscardAsync(offset, length, cancellationToken)
                : CopyOnWriteAsync(offset, length, null, false, WriteZeroesFlags.None, cancellationToken),
            offset,
            length);
    }

    /// <summary>Prefetch (NBD_CMD_CACHE) in this node's driver and, for what the overlay may not hold, in its backing node.</summary>
    public async ValueTask PrefetchAsync(long offset, long length, CancellationToken cancellationToken = default)
    {
        CheckRange(offset, length);
        await _driver.PrefetchAsync(offset, length, cancellationToken).ConfigureAwait(false);
        if (Backing is { } backing && offset < backing.Size)
        {
            await backing.PrefetchAsync(offset, Math.Min(length, backing.Size - offset), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes zeroes; <see cref="WriteZeroesFlags.MayUnmap"/> counts only on a node with discard=unmap, as in QEMU.</summary>
    public ValueTask WriteZeroesAsync(long offset, long length, WriteZeroesFlags flags = WriteZeroesFlags.None, CancellationToken cancellationToken = default)
    {
        CheckWritable();
        CheckRange(offset, length);
        if (Options.Discard == BlockDiscardMode.Ignore)
        {
            flags &= ~WriteZeroesFlags.MayUnmap;
        }

        return MarkDirtyWhenDone(
            Backing is null
                ? _driver.WriteZeroesAsync(offset, length, flags, cancellationToken)
                // Unmapping would uncover the backing data.
                : CopyOnWriteAsync(offset, length, null, false, flags & ~WriteZeroesFlags.MayUnmap, cancellationToken),
            offset,
            length);
    }

    /// <summary>
    /// Grows or shrinks the node (QEMU's bdrv_truncate, for a growable FUSE export). Dirty bitmaps have the node's size,
    /// so a node that has some keeps it.
    /// </summary>
    public ValueTask TruncateAsync(long size, CancellationToken cancellationToken = default)
    {
        CheckWritable();
        if (size < 0)
        {
            throw new BlockIoException(BlockError.InvalidArgument, $"Cannot resize block node '{NodeName}' to a negative size");
        }

        if (Bitmaps.All.Count > 0)
        {
            throw new BlockIoException(BlockError.NotSupported, $"Cannot resize block node '{NodeName}': it has dirty bitmaps");
        }

        return size == Size ? ValueTask.CompletedTask : _driver.TruncateAsync(size, cancellationToken);
    }

    /// <summary>Marks the bitmaps once <paramref name="request"/> succeeded; without an await when it already has.</summary>
    private ValueTask MarkDirtyWhenDone(ValueTask request, long offset, long length)
    {
        if (request.IsCompletedSuccessfully)
        {
            request.GetAwaiter().GetResult();
            Bitmaps.MarkDirty(offset, length);
            return default;
        }

        return AwaitAndMarkDirty(request, offset, length);
    }

    private async ValueTask AwaitAndMarkDirty(ValueTask request, long offset, long length)
    {
        await request.ConfigureAwait(false);
        Bitmaps.MarkDirty(offset, length);
    }

    /// <summary>Status of the run starting at <paramref name="offset"/> through the backing chain, at most <paramref name="length"/> bytes.</summary>
    public async ValueTask<BlockStatus> GetBlockStatusAsync(long offset, long length, CancellationToken cancellationToken = default)
    {
        CheckRange(offset, length);
        if (length == 0)
        {
            return new BlockStatus(0, false, true, 0);
        }

        var extent = await _driver.GetBlockStatusAsync(offset, length, cancellationToken).ConfigureAwait(false);
        long run = Math.Clamp(extent.Length, 1, length);
        if (extent.Allocated || Backing is null)
        {
            return new BlockStatus(run, extent.Allocated && !extent.Zero, extent.Zero, extent.Allocated ? 1 : 0);
        }

        // Unallocated here: the backing chain decides, beyond its end the bytes read as unallocated zeroes.
        if (offset >= Backing.Size)
        {
            return new BlockStatus(run, false, true, 0);
        }

        var below = await Backing.GetBlockStatusAsync(offset, Math.Min(run, Backing.Size - offset), cancellationToken).ConfigureAwait(false);
        return below with { Depth = below.Depth == 0 ? 0 : below.Depth + 1 };
    }

    /// <summary>
    /// Writes <paramref name="data"/> (or zeroes when null) on a node with a backing node. An allocation unit the request
    /// covers only partly would become allocated as a whole, hiding the backing data in its other bytes, so those bytes
    /// are first copied up from the backing chain (as qcow2 does for a cluster).
    /// </summary>
    private async ValueTask CopyOnWriteAsync(long offset, long length, ReadOnlyMemory<byte>? data, bool forceUnitAccess, WriteZeroesFlags flags, CancellationToken cancellationToken)
    {
        long unit = _driver.AllocationGranularity;
        long end = offset + length;
        long head = offset - offset % unit;
        long tail = end == 0 ? 0 : (end - 1) - (end - 1) % unit;
        bool headPartial = length > 0 && (offset > head || end < Math.Min(head + unit, Size));
        bool tailPartial = length > 0 && tail != head && end < Math.Min(tail + unit, Size);
        int first = headPartial ? (int)(head / unit % ClusterLockStripes) : -1;
        int second = tailPartial ? (int)(tail / unit % ClusterLockStripes) : -1;
        if (first == second)
        {
            second = -1;
        }
        else if (first > second && second >= 0)
        {
            (first, second) = (second, first);
        }

        // Stripes in ascending order, so requests holding two never deadlock.
        if (first >= 0)
        {
            await _clusterLocks![first].WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            if (second >= 0)
            {
                await _clusterLocks![second].WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            try
            {
                if (headPartial)
                {
                    await CopyUpAsync(head, Math.Min(head + unit, Size), offset, end, cancellationToken).ConfigureAwait(false);
                }

                if (tailPartial)
                {
                    await CopyUpAsync(tail, Math.Min(tail + unit, Size), offset, end, cancellationToken).ConfigureAwait(false);
                }

                if (data is { } bytes)
                {
                    await _driver.WriteAsync(offset, bytes, forceUnitAccess, cancellationToken).ConfigureAwait(false);
                }
                else if (_driver.ZeroesStayAllocated)
                {
                    await _driver.WriteZeroesAsync(offset, length, flags, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await WriteZeroDataAsync(offset, length, flags, cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                if (second >= 0)
                {
                    _clusterLocks![second].Release();
                }
            }
        }
        finally
        {
            if (first >= 0)
            {
                _clusterLocks![first].Release();
            }
        }
    }

    /// <summary>Zeroes as data, for a driver whose zeroed ranges would read as unallocated (and so as the backing data).</summary>
    private async ValueTask WriteZeroDataAsync(long offset, long length, WriteZeroesFlags flags, CancellationToken cancellationToken)
    {
        if ((flags & WriteZeroesFlags.FastOnly) != 0)
        {
            throw new BlockIoException(BlockError.NotSupported, $"Block node '{NodeName}' cannot write zeroes quickly over its backing node");
        }

        var zeroes = ArrayPool<byte>.Shared.Rent((int)Math.Min(length, 1 << 20));
        try
        {
            Array.Clear(zeroes);
            while (length > 0)
            {
                int part = (int)Math.Min(length, zeroes.Length);
                await _driver.WriteAsync(offset, zeroes.AsMemory(0, part), false, cancellationToken).ConfigureAwait(false);
                offset += part;
                length -= part;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(zeroes);
        }
    }

    /// <summary>Copies the unallocated bytes of the unit [start, end) outside the request [skipStart, skipEnd) up from the backing chain.</summary>
    private async ValueTask CopyUpAsync(long start, long end, long skipStart, long skipEnd, CancellationToken cancellationToken)
    {
        long position = start;
        while (position < end)
        {
            var extent = await _driver.GetBlockStatusAsync(position, end - position, cancellationToken).ConfigureAwait(false);
            long runEnd = position + Math.Clamp(extent.Length, 1, end - position);
            if (!extent.Allocated)
            {
                await CopyUpRangeAsync(position, Math.Min(runEnd, skipStart), cancellationToken).ConfigureAwait(false);
                await CopyUpRangeAsync(Math.Max(position, skipEnd), runEnd, cancellationToken).ConfigureAwait(false);
            }

            position = runEnd;
        }
    }

    private async ValueTask CopyUpRangeAsync(long start, long end, CancellationToken cancellationToken)
    {
        if (start >= end)
        {
            return;
        }

        int length = (int)(end - start);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var part = buffer.AsMemory(0, length);
            await ReadBackingAsync(start, part, cancellationToken).ConfigureAwait(false);
            await _driver.WriteAsync(start, part, false, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async ValueTask ReadBackingAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        long inBacking = Math.Clamp(Backing!.Size - offset, 0, destination.Length);
        if (inBacking > 0)
        {
            await Backing.ReadAsync(offset, destination[..(int)inBacking], cancellationToken).ConfigureAwait(false);
        }

        destination.Span[(int)inBacking..].Clear();
    }

    private void CheckWritable()
    {
        if (ReadOnly)
        {
            throw new BlockIoException(BlockError.ReadOnly, $"Block node '{NodeName}' is read-only");
        }
    }

    private void CheckRange(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset > Size || length > Size - offset)
        {
            throw new BlockIoException(BlockError.InvalidArgument,
                $"Request at offset {offset} of length {length} is out of range for block node '{NodeName}' of size {Size}");
        }
    }

    public void Dispose()
    {
        _driver.Dispose();
        if (_clusterLocks is not null)
        {
            foreach (var clusterLock in _clusterLocks)
            {
                clusterLock.Dispose();
            }
        }
    }
}
