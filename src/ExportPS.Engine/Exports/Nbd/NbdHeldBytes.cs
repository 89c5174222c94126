using System.Threading.Tasks.Sources;

namespace ExportPS.Engine.Exports.Nbd;

/// <summary>
/// The data a connection's requests hold in buffers (READ data waiting to be sent, WRITE payloads), with a limit the
/// receive loop waits on before it reads the next request. A client that pipelines bulk reads faster than the socket
/// takes them then waits in its own socket buffer, not in ours: the server keeps a few buffers that stay in cache
/// instead of filling one per request that go cold before their turn to be sent (QEMU caps a client at 16 requests for
/// the same reason). Small requests never reach the limit, so batches of them are not held up.
/// </summary>
internal sealed class NbdHeldBytes(long limit) : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _room = new() { RunContinuationsAsynchronously = true };
    private long _held;
    private int _waiting;

    public long Held => Volatile.Read(ref _held);

    public bool Full => Held >= limit;

    /// <summary>A request the receive loop starts takes its bytes.</summary>
    public void Take(long bytes) => Interlocked.Add(ref _held, bytes);

    /// <summary>A finished request gives its bytes back, and wakes the receive loop if it waits and there is room now.</summary>
    public void Give(long bytes)
    {
        if (Interlocked.Add(ref _held, -bytes) < limit && Volatile.Read(ref _waiting) == 1 && Interlocked.Exchange(ref _waiting, 0) == 1)
        {
            _room.SetResult(true);
        }
    }

    /// <summary>The receive loop, when <see cref="Full"/>: completes once finished requests have made room.</summary>
    public ValueTask WaitForRoomAsync()
    {
        _room.Reset();
        Volatile.Write(ref _waiting, 1);
        if (!Full && Interlocked.Exchange(ref _waiting, 0) == 1)
        {
            return default; // room came before the wait began, and no giver claimed the wake-up
        }

        return new ValueTask(this, _room.Version);
    }

    void IValueTaskSource.GetResult(short token) => _room.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _room.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _room.OnCompleted(continuation, state, token, flags);
}
