using ExportPS.Engine.Block;

namespace ExportPS.Engine.Tests.Nbd;

/// <summary>
/// A memory-like driver for tests that fails on cue: reads at or past <see cref="FailReadsFrom"/> fail with EIO, writes
/// past <see cref="FullFrom"/> with ENOSPC, fast zeroes always refuse, and reads at <see cref="SlowOffset"/> wait for
/// <see cref="ReleaseSlowRead"/>; with <see cref="HoldDurable"/> FUA writes and flushes wait for
/// <see cref="ReleaseDurable"/>.
/// </summary>
internal sealed class ScriptedBlockDriver(long size) : IBlockDriver
{
    private readonly byte[] _data = new byte[size];
    private TaskCompletionSource _slow = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _durable = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _slowReadWaiting;
    private int _durableWaiting;

    public long FailReadsFrom { get; set; } = long.MaxValue;

    public long FullFrom { get; set; } = long.MaxValue;

    public long SlowOffset { get; set; } = -1;

    /// <summary>Writes (and whether they asked for FUA), discards, zeroes and flushes, in the order they reached the driver.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Durability { get; } = new();

    public long Size => size;

    public long AllocatedBytes => size;

    public int AllocationGranularity => 1;

    public bool ZeroesStayAllocated => true;

    /// <summary>A read at <see cref="SlowOffset"/> has started and waits for <see cref="ReleaseSlowRead"/>.</summary>
    public bool SlowReadWaiting => Volatile.Read(ref _slowReadWaiting);

    public void ReleaseSlowRead() => _slow.TrySetResult();

    /// <summary>FUA writes and flushes wait for <see cref="ReleaseDurable"/> before they reach the data.</summary>
    public bool HoldDurable { get; set; }

    /// <summary>How many FUA writes and flushes are held.</summary>
    public int DurableWaiting => Volatile.Read(ref _durableWaiting);

    public void ReleaseDurable() => _durable.TrySetResult();

    public async ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (offset == SlowOffset)
        {
            Volatile.Write(ref _slowReadWaiting, true);
            await _slow.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            Volatile.Write(ref _slowReadWaiting, false);
            _slow = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        if (offset + destination.Length > FailReadsFrom)
        {
            throw new BlockIoException(BlockError.Io, "scripted read failure");
        }

        _data.AsMemory((int)offset, destination.Length).CopyTo(destination);
    }

    public async ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> source, bool forceUnitAccess, CancellationToken cancellationToken)
    {
        if (forceUnitAccess)
        {
            await WaitIfHeldAsync(cancellationToken);
        }

        if (offset + source.Length > FullFrom)
        {
            throw new BlockIoException(BlockError.NoSpace, "scripted full disk");
        }

        source.CopyTo(_data.AsMemory((int)offset));
        Durability.Enqueue(forceUnitAccess ? "write+fua" : "write");
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        await WaitIfHeldAsync(cancellationToken);
        Durability.Enqueue("flush");
    }

    private async ValueTask WaitIfHeldAsync(CancellationToken cancellationToken)
    {
        if (HoldDurable)
        {
            Interlocked.Increment(ref _durableWaiting);
            await _durable.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            Interlocked.Decrement(ref _durableWaiting);
        }
    }

    public ValueTask DiscardAsync(long offset, long length, CancellationToken cancellationToken)
    {
        _data.AsSpan((int)offset, (int)length).Clear();
        Durability.Enqueue("discard");
        return ValueTask.CompletedTask;
    }

    public ValueTask WriteZeroesAsync(long offset, long length, WriteZeroesFlags flags, CancellationToken cancellationToken)
    {
        if ((flags & WriteZeroesFlags.FastOnly) != 0)
        {
            throw new BlockIoException(BlockError.NotSupported, "zeroing is not fast here");
        }

        _data.AsSpan((int)offset, (int)length).Clear();
        Durability.Enqueue("zero");
        return ValueTask.CompletedTask;
    }

    public ValueTask<BlockExtent> GetBlockStatusAsync(long offset, long length, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new BlockExtent(length, Allocated: true, Zero: false));

    public void Dispose()
    {
    }
}
