using ExportPS.Engine.Model;

namespace ExportPS.Engine.Block;

/// <summary>
/// A named block node: a driver, an optional backing node and its dirty bitmaps.
/// Every request passes through here, so range and read-only checks, backing fall-through and bitmap marking happen
/// once for all drivers and all exports.
/// </summary>
public sealed class BlockNode : IDisposable
{
    private readonly IBlockDriver _driver;

    internal BlockNode(BlockNodeOptions options, IBlockDriver driver, BlockNode? backing, BlockNode? file = null)
    {
        Options = options;
        _driver = driver;
        Backing = backing;
        File = file;
        Bitmaps = new DirtyBitmapSet(this);
    }

    public BlockNodeOptions Options { get; }

    public string NodeName => Options.NodeName;

    public BlockNode? Backing { get; }

    /// <summary>The child a format driver (raw) passes its requests to.</summary>
    public BlockNode? File { get; }

    public bool ReadOnly => Options.ReadOnly;

    public long Size => _driver.Size;

    public long AllocatedBytes => _driver.AllocatedBytes;

    public DirtyBitmapSet Bitmaps { get; }

    public async ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        CheckRange(offset, destination.Length);
        if (Backing is null)
        {
            await _driver.ReadAsync(offset, destination, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Read what this layer allocates from the driver; the rest falls through to the backing chain.
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

    public async ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> source, bool forceUnitAccess = false, CancellationToken cancellationToken = default)
    {
        CheckWritable();
        CheckRange(offset, source.Length);
        await _driver.WriteAsync(offset, source, forceUnitAccess, cancellationToken).ConfigureAwait(false);
        Bitmaps.MarkDirty(offset, source.Length);
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => _driver.FlushAsync(cancellationToken);

    /// <summary>
    /// Trim. With a backing node, a discarded range must not expose the backing data again, so it becomes explicit zeroes.
    /// </summary>
    public async ValueTask DiscardAsync(long offset, long length, CancellationToken cancellationToken = default)
    {
        CheckWritable();
        CheckRange(offset, length);
        if (Backing is null)
        {
            await _driver.DiscardAsync(offset, length, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await _driver.WriteZeroesAsync(offset, length, WriteZeroesFlags.None, cancellationToken).ConfigureAwait(false);
        }

        Bitmaps.MarkDirty(offset, length);
    }

    public async ValueTask WriteZeroesAsync(long offset, long length, WriteZeroesFlags flags = WriteZeroesFlags.None, CancellationToken cancellationToken = default)
    {
        CheckWritable();
        CheckRange(offset, length);
        if (Backing is not null)
        {
            // Unmapping would uncover the backing data.
            flags &= ~WriteZeroesFlags.MayUnmap;
        }

        await _driver.WriteZeroesAsync(offset, length, flags, cancellationToken).ConfigureAwait(false);
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

    public void Dispose() => _driver.Dispose();
}
