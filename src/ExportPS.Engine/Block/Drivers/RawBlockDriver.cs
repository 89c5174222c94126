namespace ExportPS.Engine.Block.Drivers;

/// <summary>
/// QEMU's format driver raw: the guest sees its child node byte for byte. Requests go through the child node, so the
/// child's own checks, backing chain and dirty bitmaps apply. The child is only borrowed: removing the raw node leaves it.
/// </summary>
internal sealed class RawBlockDriver(BlockNode child) : IBlockDriver
{
    public long Size => child.Size;

    public long AllocatedBytes => child.AllocatedBytes;

    public int AllocationGranularity => child.AllocationGranularity;

    public bool ZeroesStayAllocated => child.ZeroesStayAllocated;

    public bool ReadsCompleteInline => child.ReadsCompleteInline;

    public ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken) =>
        child.ReadAsync(offset, destination, cancellationToken);

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> source, bool forceUnitAccess, CancellationToken cancellationToken) =>
        child.WriteAsync(offset, source, forceUnitAccess, cancellationToken);

    public ValueTask FlushAsync(CancellationToken cancellationToken) => child.FlushAsync(cancellationToken);

    public ValueTask DiscardAsync(long offset, long length, CancellationToken cancellationToken) =>
        child.DiscardAsync(offset, length, cancellationToken);

    public ValueTask WriteZeroesAsync(long offset, long length, WriteZeroesFlags flags, CancellationToken cancellationToken) =>
        child.WriteZeroesAsync(offset, length, flags, cancellationToken);

    public ValueTask TruncateAsync(long size, CancellationToken cancellationToken) => child.TruncateAsync(size, cancellationToken);

    /// <summary>Allocated wherever some layer of the child decides the content, so a backing node of the raw node shows only through the child's unallocated ranges.</summary>
    public async ValueTask<BlockExtent> GetBlockStatusAsync(long offset, long length, CancellationToken cancellationToken)
    {
        var status = await child.GetBlockStatusAsync(offset, length, cancellationToken).ConfigureAwait(false);
        return new BlockExtent(status.Length, Allocated: status.Depth > 0, Zero: status.Zero);
    }

    public void Dispose()
    {
    }
}
