using System.Buffers;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace ExportPS.Engine.Exports.Nbd;

/// <summary>
/// The one writer of a connection: finished requests queue their composed reply here and a single loop writes them one
/// after the other, so replies never interleave and no request waits on a lock (a contended SemaphoreSlim allocates).
/// When the loop is idle, the request that wakes it usually carries on sending inline, with no thread hop.
/// While the receive loop works through requests that arrived together, the sender is corked: their replies queue up
/// and then go out in one send (small ones copied into one buffer), one system call for a batch instead of one each.
/// </summary>
internal sealed class NbdReplySender(NbdConnection connection) : IValueTaskSource
{
    /// <summary>Replies up to this size are copied into a batch; larger ones (bulk reads) go out from their own buffer.</summary>
    private const int SmallReply = 16 * 1024;
    private const int BatchBytes = 64 * 1024;

    private readonly Queue<NbdRequest> _queue = new(64);
    private readonly List<NbdRequest> _batch = new(64);
    private ManualResetValueTaskSourceCore<bool> _wake;
    private bool _idle;
    private bool _corked;
    private bool _closing;
    private bool _failed;

    public void Enqueue(NbdRequest request)
    {
        lock (_queue)
        {
            _queue.Enqueue(request);
            if (!_idle || _corked)
            {
                return;
            }

            _idle = false;
        }

        _wake.SetResult(true);
    }

    /// <summary>
    /// With nothing queued, corked or sending (one request in flight), the caller sends its reply itself: no queue, no
    /// wake-up of the loop, and the send usually completes at once. Otherwise the reply is queued as by <see cref="Enqueue"/>.
    /// </summary>
    public ValueTask SendAsync(NbdRequest request)
    {
        lock (_queue)
        {
            if (!_idle || _corked)
            {
                _queue.Enqueue(request);
                return default;
            }

            // The caller now owns sending; the loop sleeps on until FinishDirect hands back.
            _idle = false;
        }

        ValueTask sending = default;
        if (!_failed)
        {
            try
            {
                sending = SendOneAsync(request);
            }
            catch (Exception)
            {
                Fail();
            }
        }

        if (!sending.IsCompleted)
        {
            return SendDirectAsync(sending, request);
        }

        try
        {
            sending.GetAwaiter().GetResult();
        }
        catch (Exception)
        {
            Fail();
        }

        FinishDirect(request);
        return default;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendDirectAsync(ValueTask sending, NbdRequest request)
    {
        try
        {
            await sending;
        }
        catch (Exception)
        {
            Fail();
        }

        FinishDirect(request);
    }

    /// <summary>Hands sending back: the loop wakes for what queued meanwhile (unless corked) or to close, else it stays idle.</summary>
    private void FinishDirect(NbdRequest request)
    {
        bool wake;
        lock (_queue)
        {
            wake = _closing || (_queue.Count > 0 && !_corked);
            _idle = !wake;
        }

        if (wake)
        {
            _wake.SetResult(true);
        }

        connection.Release(request);
    }

    /// <summary>The client is gone: later replies are dropped, the requests still finish.</summary>
    private void Fail()
    {
        _failed = true;
        connection.Abort();
    }

    /// <summary>The receive loop has more requests buffered: hold replies until it has started them all.</summary>
    public void Cork()
    {
        lock (_queue)
        {
            _corked = true;
        }
    }

    /// <summary>The receive loop is about to wait for the network (or ends): whatever queued goes out now.</summary>
    public void Uncork()
    {
        lock (_queue)
        {
            _corked = false;
            if (!_idle || _queue.Count == 0)
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
            _corked = false;
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

            int total = TakeBatch(next);
            if (!_failed)
            {
                try
                {
                    await (_batch.Count == 1 ? SendOneAsync(next) : SendBatchAsync(total));
                }
                catch (Exception)
                {
                    Fail();
                }
            }

            foreach (var sent in _batch)
            {
                connection.Release(sent);
            }

            _batch.Clear();
        }
    }

    /// <summary>One reply over the connection's current transport (NBD_OPT_STARTTLS may have replaced the plain one).</summary>
    private ValueTask SendOneAsync(NbdRequest request) => connection.Transport.SendAsync(request.Reply, CancellationToken.None);

    private static bool IsSmall(NbdRequest request) => request.Reply.Length <= SmallReply;

    /// <summary>Puts <paramref name="first"/> and, when it is small, the small replies queued behind it into the batch; returns their total length.</summary>
    private int TakeBatch(NbdRequest first)
    {
        _batch.Add(first);
        int total = first.Reply.Length;
        if (!IsSmall(first))
        {
            return total;
        }

        lock (_queue)
        {
            while (_queue.TryPeek(out var more) && IsSmall(more) && total + more.Reply.Length <= BatchBytes)
            {
                _batch.Add(_queue.Dequeue());
                total += more.Reply.Length;
            }
        }

        return total;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendBatchAsync(int total)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            int at = 0;
            foreach (var request in _batch)
            {
                request.Reply.Span.CopyTo(buffer.AsSpan(at));
                at += request.Reply.Length;
            }

            await connection.Transport.SendAsync(buffer.AsMemory(0, total), CancellationToken.None);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    void IValueTaskSource.GetResult(short token) => _wake.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _wake.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _wake.OnCompleted(continuation, state, token, flags);
}
