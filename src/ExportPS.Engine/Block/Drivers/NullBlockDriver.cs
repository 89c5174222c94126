namespace ExportPS.Engine.Block.Drivers;

/// <summary>QEMU's null-co: reads zeroes (or leave the buffer alone without read-zeroes), drops writes. For benchmarks.</summary>
internal sealed class NullBlockDriver(long size, bool readZeroes) : IBlockDriver
{
    public long Size { get; } = size;

    public long AllocatedBytes => 0;

    public bool ReadsCompleteInline => true;

    public ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (readZeroes)
        {
            destination.Span.Clear();
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> source, bool forceUnitAccess, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask DiscardAsync(long offset, long length, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask WriteZeroesAsync(long offset, long length, WriteZeroesFlags flags, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Like null-co: everything is allocated, and zero only when reads return zeroes.</summary>
    public ValueTask<BlockExtent> GetBlockStatusAsync(long offset, long length, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new BlockExtent(length, Allocated: true, Zero: readZeroes));

    public void Dispose()
    {
    }
}
