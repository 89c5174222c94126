using ExportPS.Engine.Block.Faults;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Block.Drivers;

/// <summary>
/// ExportPS's x-fault-inject filter (in the spirit of QEMU's blkdebug and nbdkit's error filter): passes every request
/// to its child node, except those an armed rule hits, which wait the rule's delay and then fail with its errno, having
/// moved nothing to or from the child (or only the rule's short-bytes prefix: a torn request).
/// A write that failed here is reported again by the next flush, once, as Linux reports a lost write-back to the next
/// fsync: a client that flushes to make its writes durable learns that one of them was not.
/// </summary>
internal sealed class FaultInjectBlockDriver(BlockNode child) : IBlockDriver
{
    private int _writeFailedSinceFlush;

    public BlockFaultSet Faults { get; } = new();

    public long Size => child.Size;

    public long AllocatedBytes => child.AllocatedBytes;

    public int AllocationGranularity => child.AllocationGranularity;

    public bool ZeroesStayAllocated => child.ZeroesStayAllocated;

    public ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken) =>
        Faults.Hit(BlockFaultOperation.Read, offset, destination.Length) is { } fault
            ? InjectAsync(fault, offset, () => child.ReadAsync(offset, destination, cancellationToken),
                prefix => child.ReadAsync(offset, destination[..(int)Math.Min(prefix, destination.Length)], cancellationToken), cancellationToken)
            : child.ReadAsync(offset, destination, cancellationToken);

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> source, bool forceUnitAccess, CancellationToken cancellationToken) =>
        Faults.Hit(BlockFaultOperation.Write, offset, source.Length) is { } fault
            ? InjectAsync(fault, offset, () => child.WriteAsync(offset, source, forceUnitAccess, cancellationToken),
                prefix => child.WriteAsync(offset, source[..(int)Math.Min(prefix, source.Length)], forceUnitAccess, cancellationToken), cancellationToken)
            : child.WriteAsync(offset, source, forceUnitAccess, cancellationToken);

    public ValueTask FlushAsync(CancellationToken cancellationToken) =>
        Faults.Hit(BlockFaultOperation.Flush, 0, 0) is { } fault
            ? InjectAsync(fault, 0, () => FlushReportingLostWritesAsync(cancellationToken), null, cancellationToken)
            : FlushReportingLostWritesAsync(cancellationToken);

    public ValueTask DiscardAsync(long offset, long length, CancellationToken cancellationToken) =>
        Faults.Hit(BlockFaultOperation.Discard, offset, length) is { } fault
            ? InjectAsync(fault, offset, () => child.DiscardAsync(offset, length, cancellationToken), null, cancellationToken)
            : child.DiscardAsync(offset, length, cancellationToken);

    public ValueTask WriteZeroesAsync(long offset, long length, WriteZeroesFlags flags, CancellationToken cancellationToken) =>
        Faults.Hit(BlockFaultOperation.WriteZeroes, offset, length) is { } fault
            ? InjectAsync(fault, offset, () => child.WriteZeroesAsync(offset, length, flags, cancellationToken), null, cancellationToken)
            : child.WriteZeroesAsync(offset, length, flags, cancellationToken);

    public ValueTask TruncateAsync(long size, CancellationToken cancellationToken) => child.TruncateAsync(size, cancellationToken);

    /// <summary>The child's status as a raw node reports it: allocated wherever some layer of the child decides the content.</summary>
    public async ValueTask<BlockExtent> GetBlockStatusAsync(long offset, long length, CancellationToken cancellationToken)
    {
        var status = await child.GetBlockStatusAsync(offset, length, cancellationToken).ConfigureAwait(false);
        return new BlockExtent(status.Length, Allocated: status.Depth > 0, Zero: status.Zero);
    }

    /// <summary>
    /// Does what the hit rule says: waits its delay; then a rule without an errno lets the <paramref name="whole"/>
    /// request through, any other moves the short prefix (read and write only) and fails.
    /// </summary>
    private async ValueTask InjectAsync(BlockFaultOptions fault, long offset, Func<ValueTask> whole, Func<long, ValueTask>? transferPrefix,
        CancellationToken cancellationToken)
    {
        if (fault.Delay > TimeSpan.Zero)
        {
            await Task.Delay(fault.Delay, cancellationToken).ConfigureAwait(false);
        }

        if (fault.Errno == BlockFaultErrno.None)
        {
            await whole().ConfigureAwait(false);
            return;
        }

        if (fault.ShortBytes is > 0 and var shortBytes && transferPrefix is not null)
        {
            await transferPrefix(shortBytes).ConfigureAwait(false);
        }

        if (fault.Operation is BlockFaultOperation.Write or BlockFaultOperation.WriteZeroes)
        {
            Volatile.Write(ref _writeFailedSinceFlush, 1);
        }

        throw new BlockIoException(fault.Errno == BlockFaultErrno.ENOSPC ? BlockError.NoSpace : BlockError.Io,
            $"Injected {fault.Errno} on {fault.Operation} at offset {offset} (block node '{fault.NodeName}')");
    }

    private async ValueTask FlushReportingLostWritesAsync(CancellationToken cancellationToken)
    {
        await child.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (Interlocked.Exchange(ref _writeFailedSinceFlush, 0) != 0)
        {
            throw new BlockIoException(BlockError.Io, "A write failed since the last flush: its data is not on the child node");
        }
    }

    public void Dispose()
    {
    }
}
