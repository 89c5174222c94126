using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace ExportPS.Engine.Exports.Nbd;

/// <summary>
/// The one writer of a connection: finished requests queue their composed reply here and a single loop writes them one
/// after the other, so replies never interleave and no request waits on a lock (a contended SemaphoreSlim allocates).
/// When the loop is idle, the request that wakes it usually carries on sending inline, with no thread hop.
/// </summary>
internal sealed class NbdReplySender(NbdConnection connection) : IValueTaskSource
{
    private readonly Queue<NbdRequest> _queue = new(64);
    private ManualResetValueTaskSourceCore<bool> _wake;
    private bool _idle;
    private bool _closing;
    private bool _failed;

    public void Enqueue(NbdRequest request)
    {
        lock (_queue)
        {
            _queue.Enqueue(request);
            if (!_idle)
            {
                return;
            }

            _idle = false;
        }

        _wake.SetResult(true);
    }

    /// <summary>Ends the loop once the queue is empty.</summary>
    public void Close()
    {
        lock (_queue)
        {
            _closing = true;
            if (!_idle)
            {
                return;
            }

            _idle = false;
        }

        _wake.SetResult(true);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask RunAsync()
    {
        while (true)
        {
            NbdRequest? next;
            lock (_queue)
            {
                if (!_queue.TryDequeue(out next))
                {
                    if (_closing)
                    {
                        return;
                    }

                    _wake.Reset();
                    _idle = true;
                }
            }

            if (next is null)
            {
                await new ValueTask(this, _wake.Version);
                continue;
            }

            if (!_failed)
            {
                try
                {
                    // The connection's current transport: NBD_OPT_STARTTLS may have replaced the plain one.
                    await connection.Transport.SendAsync(next.Reply, CancellationToken.None);
                }
                catch (Exception)
                {
                    // The client is gone: later replies are dropped, the requests still finish.
                    _failed = true;
                    connection.Abort();
                }
            }

            connection.Release(next);
        }
    }

    void IValueTaskSource.GetResult(short token) => _wake.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _wake.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _wake.OnCompleted(continuation, state, token, flags);
}
