using ExportPS.Engine.Errors;

namespace ExportPS.Engine.Block.Drivers;

/// <summary>
/// A sparse RAM disk. The disk is cut into <see cref="ChunkSize"/> chunks reached through a two-level table (a directory
/// sized to the disk, leaves of <see cref="ChunksPerLeaf"/> chunk slots created on first write), so an unwritten disk
/// costs only its directory and every lookup is two array loads.
/// A chunk slot is null (unallocated: reads zero, falls through to a backing node), <see cref="ZeroChunk"/> (allocated
/// zeroes that cost no memory) or a chunk array. Readers never lock; slots change by compare-and-swap, so requests from
/// many threads that do not overlap never disturb each other, and overlapping ones behave like a disk (either order).
/// With a codec, chunks are stored compressed (or raw when they do not shrink) and never change once published: a write
/// builds the new chunk under a per-chunk lock (striped) and swaps it in, so readers still need no lock.
/// </summary>
internal sealed class MemoryBlockDriver : IBlockDriver
{
    /// <summary>
    /// 64 KiB: NBD requests range from 4 KiB to 32 MiB; a 4 KiB write costs one chunk lookup, a 32 MiB one 512,
    /// discard frees memory at the granularity most guests trim at (and qcow2's default cluster), and the directory of a
    /// 1 TiB disk stays 32 KiB. Smaller chunks (4 KiB) would make the tables as large as a fraction of the data.
    /// </summary>
    public const int ChunkShift = 16;
    public const int ChunkSize = 1 << ChunkShift;

    private const int LeafShift = 12;
    public const int ChunksPerLeaf = 1 << LeafShift;
    private const int LeafMask = ChunksPerLeaf - 1;
    private const long LeafSpan = (long)ChunkSize << LeafShift;

    /// <summary>The directory for this size is 2 MiB; larger disks would cost memory before the first write.</summary>
    public const long MaxSize = 64L << 40;

    /// <summary>Marks a chunk that is allocated and reads as zeroes; never written to.</summary>
    private static readonly byte[] ZeroChunk = new byte[1];

    /// <summary>
    /// A leaf of <see cref="ZeroChunk"/> slots, shared by every disk and never written (writers replace it by a copy):
    /// zeroing a fresh disk then costs no leaves, where a 1 TiB disk would otherwise need 128 MiB of them.
    /// </summary>
    private static readonly byte[]?[] ZeroLeaf = CreateLeaf(ZeroChunk);

    private const int LockStripes = 64;

    /// <summary>Per-thread chunk images for compressed reads and writes, so requests allocate nothing but the stored chunk.</summary>
    [ThreadStatic]
    private static byte[]? t_plain;

    [ThreadStatic]
    private static byte[]? t_packed;

    private readonly byte[]?[]?[] _directory;
    private readonly IChunkCodec? _codec;
    private readonly object[]? _chunkLocks;
    private long _allocatedBytes;

    public MemoryBlockDriver(long size, IChunkCodec? codec = null)
    {
        if (size < 0 || size > MaxSize)
        {
            throw new EngineException(ErrorIds.InvalidBlockNodeOptions, EngineErrorCategory.InvalidArgument,
                $"Parameter 'size' must be between 0 and {MaxSize} (64 TiB) for driver 'memory', not {size}");
        }

        Size = size;
        long chunks = (size + ChunkSize - 1) >> ChunkShift;
        _directory = new byte[]?[]?[(chunks + ChunksPerLeaf - 1) >> LeafShift];
        _codec = codec;
        if (codec is not null)
        {
            _chunkLocks = new object[LockStripes];
            for (int i = 0; i < LockStripes; i++)
            {
                _chunkLocks[i] = new object();
            }
        }
    }

    public long Size { get; }

    public long AllocatedBytes => Volatile.Read(ref _allocatedBytes);

    public int AllocationGranularity => ChunkSize;

    /// <summary>Whole chunks become <see cref="ZeroChunk"/>, partial ones stay allocated.</summary>
    public bool ZeroesStayAllocated => true;

    public bool ReadsCompleteInline => true;

    public ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var span = destination.Span;
        while (!span.IsEmpty)
        {
            int within = (int)(offset & (ChunkSize - 1));
            int part = Math.Min(span.Length, ChunkSize - within);
            var chunk = Slot(offset >> ChunkShift);
            if (chunk is null || chunk == ZeroChunk)
            {
                span[..part].Clear();
            }
            else if (chunk.Length == ChunkSize)
            {
                chunk.AsSpan(within, part).CopyTo(span);
            }
            else if (part == ChunkSize)
            {
                _codec!.Decompress(chunk, span[..part]);
            }
            else
            {
                var plain = t_plain ??= new byte[ChunkSize];
                _codec!.Decompress(chunk, plain);
                plain.AsSpan(within, part).CopyTo(span);
            }

            offset += part;
            span = span[part..];
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> source, bool forceUnitAccess, CancellationToken cancellationToken)
    {
        var span = source.Span;
        while (!span.IsEmpty)
        {
            int within = (int)(offset & (ChunkSize - 1));
            int part = Math.Min(span.Length, ChunkSize - within);
            if (_codec is null)
            {
                span[..part].CopyTo(WritableChunk(offset >> ChunkShift).AsSpan(within));
            }
            else
            {
                RewriteCompressed(offset >> ChunkShift, within, part, span[..part]);
            }

            offset += part;
            span = span[part..];
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>RAM has nothing to make durable.</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Frees whole chunks and zeroes the partial ones at the edges, so a discarded range always reads as zeroes.</summary>
    public ValueTask DiscardAsync(long offset, long length, CancellationToken cancellationToken) =>
        WriteZeroesAsync(offset, length, WriteZeroesFlags.MayUnmap, cancellationToken);

    /// <summary>
    /// Whole chunks become unallocated (with <see cref="WriteZeroesFlags.MayUnmap"/>) or <see cref="ZeroChunk"/>, so
    /// either way their memory is freed; partial chunks are cleared in place. Always cheap, so FastOnly never fails.
    /// </summary>
    public ValueTask WriteZeroesAsync(long offset, long length, WriteZeroesFlags flags, CancellationToken cancellationToken)
    {
        bool unmap = (flags & WriteZeroesFlags.MayUnmap) != 0;
        long end = offset + length;
        while (offset < end)
        {
            if ((offset & (LeafSpan - 1)) == 0 && (end - offset >= LeafSpan || end == Size) && TryReplaceEmptyLeaf(offset / LeafSpan, unmap ? null : ZeroLeaf))
            {
                offset = Math.Min(offset + LeafSpan, end);
                continue;
            }

            long index = offset >> ChunkShift;
            int within = (int)(offset & (ChunkSize - 1));
            int part = (int)Math.Min(end - offset, ChunkSize - within);
            if (part == ChunkSize || (within == 0 && offset + part == Size))
            {
                Replace(index, unmap ? null : ZeroChunk);
            }
            else
            {
                ZeroPart(index, within, part, unmap);
            }

            offset += part;
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<BlockExtent> GetBlockStatusAsync(long offset, long length, CancellationToken cancellationToken)
    {
        long end = Math.Min(offset + length, Size);
        long index = offset >> ChunkShift;
        var (allocated, zero) = StateOf(Slot(index));
        long position = (index + 1) << ChunkShift;
        while (position < end)
        {
            index = position >> ChunkShift;
            var leaf = Volatile.Read(ref _directory[index >> LeafShift]);
            if ((leaf is null && !allocated) || (leaf == ZeroLeaf && allocated && zero))
            {
                // A missing or zero leaf is a run of equal chunks: skip it whole (an empty 1 TiB disk is 4096 steps).
                position = ((index | LeafMask) + 1) << ChunkShift;
                continue;
            }

            if (StateOf(leaf is null ? null : Volatile.Read(ref leaf[index & LeafMask])) != (allocated, zero))
            {
                break;
            }

            position += ChunkSize;
        }

        return ValueTask.FromResult(new BlockExtent(Math.Min(position, end) - offset, allocated, zero));
    }

    private static (bool Allocated, bool Zero) StateOf(byte[]? chunk) =>
        chunk is null ? (false, true) : (true, chunk == ZeroChunk);

    private byte[]? Slot(long index)
    {
        var leaf = Volatile.Read(ref _directory[index >> LeafShift]);
        return leaf is null ? null : Volatile.Read(ref leaf[index & LeafMask]);
    }

    /// <summary>The leaf holding chunk <paramref name="index"/>, created (or copied from <see cref="ZeroLeaf"/>) for writing.</summary>
    private byte[]?[] Leaf(long index)
    {
        ref var entry = ref _directory[index >> LeafShift];
        while (true)
        {
            var leaf = Volatile.Read(ref entry);
            if (leaf is not null && leaf != ZeroLeaf)
            {
                return leaf;
            }

            var created = CreateLeaf(leaf == ZeroLeaf ? ZeroChunk : null);
            if (Interlocked.CompareExchange(ref entry, created, leaf) == leaf)
            {
                return created;
            }
        }
    }

    private static byte[]?[] CreateLeaf(byte[]? fill)
    {
        var leaf = new byte[]?[ChunksPerLeaf];
        if (fill is not null)
        {
            Array.Fill(leaf, fill);
        }

        return leaf;
    }

    /// <summary>
    /// Sets a whole leaf to unallocated (null) or zero (<see cref="ZeroLeaf"/>) when it holds no chunk memory yet; a leaf
    /// with chunks is left to the per-chunk path, which keeps the allocated-bytes count exact.
    /// </summary>
    private bool TryReplaceEmptyLeaf(long leafIndex, byte[]?[]? replacement)
    {
        ref var entry = ref _directory[leafIndex];
        var current = Volatile.Read(ref entry);
        return (current is null || current == ZeroLeaf) && Interlocked.CompareExchange(ref entry, replacement, current) == current;
    }

    /// <summary>The chunk array at <paramref name="index"/>, allocated (zeroed) if the slot is unallocated or zero.</summary>
    private byte[] WritableChunk(long index)
    {
        var leaf = Leaf(index);
        ref var slot = ref leaf[index & LeafMask];
        while (true)
        {
            var current = Volatile.Read(ref slot);
            if (current is not null && current != ZeroChunk)
            {
                return current;
            }

            // Pinned: chunks live for long and never move, so the GC does not copy them around.
            var created = GC.AllocateArray<byte>(ChunkSize, pinned: true);
            if (Interlocked.CompareExchange(ref slot, created, current) == current)
            {
                Interlocked.Add(ref _allocatedBytes, ChunkSize);
                return created;
            }
        }
    }

    /// <summary>
    /// Replaces a compressed chunk by its old content with <paramref name="data"/> written at <paramref name="within"/>
    /// (or <paramref name="length"/> zeroes when <paramref name="data"/> is empty), stored compressed when that is smaller.
    /// </summary>
    private void RewriteCompressed(long index, int within, int length, ReadOnlySpan<byte> data)
    {
        var plain = t_plain ??= new byte[ChunkSize];
        var packed = t_packed ??= new byte[ChunkSize - 1];
        lock (_chunkLocks![index & (LockStripes - 1)])
        {
            if (length < ChunkSize)
            {
                var current = Slot(index);
                if (current is null || current == ZeroChunk)
                {
                    Array.Clear(plain);
                }
                else if (current.Length == ChunkSize)
                {
                    current.CopyTo(plain, 0);
                }
                else
                {
                    _codec!.Decompress(current, plain);
                }
            }

            if (data.IsEmpty)
            {
                plain.AsSpan(within, length).Clear();
            }
            else
            {
                data.CopyTo(plain.AsSpan(within));
            }

            // The packed buffer is one byte short of a chunk: a chunk that does not shrink does not fit and stays raw.
            int packedLength = _codec!.Compress(plain, packed);
            Replace(index, packedLength > 0 ? packed.AsSpan(0, packedLength).ToArray() : (byte[])plain.Clone());
        }
    }

    private void Replace(long index, byte[]? replacement)
    {
        var leaf = replacement is null ? Volatile.Read(ref _directory[index >> LeafShift]) : Leaf(index);
        if (leaf is null)
        {
            return;
        }

        if (leaf == ZeroLeaf)
        {
            leaf = Leaf(index);
        }

        var previous = Interlocked.Exchange(ref leaf[index & LeafMask], replacement);
        long change = StoredLength(replacement) - StoredLength(previous);
        if (change != 0)
        {
            Interlocked.Add(ref _allocatedBytes, change);
        }
    }

    private static int StoredLength(byte[]? chunk) => chunk is null || chunk == ZeroChunk ? 0 : chunk.Length;

    private void ZeroPart(long index, int within, int length, bool unmap)
    {
        var chunk = Slot(index);
        if (chunk == ZeroChunk || (chunk is null && unmap))
        {
            return;
        }

        if (_codec is not null)
        {
            RewriteCompressed(index, within, length, []);
            return;
        }

        if (chunk is null)
        {
            // Must read as allocated zeroes (a backing node below would otherwise show through).
            chunk = WritableChunk(index);
        }

        chunk.AsSpan(within, length).Clear();
    }

    public void Dispose()
    {
        Array.Clear(_directory);
        Volatile.Write(ref _allocatedBytes, 0);
    }
}
