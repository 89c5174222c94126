namespace ExportPS.Engine.Net.Backends;

/// <summary>Puts one frame on a wire, or into the wire's batch; runs on the writer's thread only.</summary>
internal delegate void FrameWrite(ReadOnlySpan<byte> frame);

/// <summary>
/// The write side of a wire backend: frames delivered to it (from any thread) wait in a bounded
/// <see cref="NetFrameQueue"/> and one thread of its own writes them, then flushes once the queue is empty (a stream
/// writes the whole batch in one call). A far end that stops reading blocks only this thread; the queue fills, stream
/// readers that feed it wait (<see cref="Netdev.WaitUntilCanSend"/>) and other frames are refused as queue-full, so the
/// hub and every other netdev go on. Once the queue drains to half it pulses the waiting readers.
/// </summary>
internal sealed class QueuedFrameWriter : IDisposable
{
    /// <summary>Frames a wire may have waiting before further ones are held back or dropped as queue-full.</summary>
    public const int DefaultCapacity = 256;

    private readonly NetFrameQueue _queue;
    private readonly AutoResetEvent _wake = new(false);
    private readonly FrameWrite _write;
    private readonly Action? _flush;
    private readonly Thread _thread;
    private volatile bool _stopped;

    /// <param name="name">The writer thread's name.</param>
    /// <param name="write">Puts one frame on the wire (or into the wire's batch).</param>
    /// <param name="flush">Sends the batch, once the queue is empty; none for a wire that writes each frame at once.</param>
    /// <param name="capacity">The frames the queue holds.</param>
    public QueuedFrameWriter(string name, FrameWrite write, Action? flush = null, int capacity = DefaultCapacity)
    {
        _queue = new NetFrameQueue(capacity);
        _write = write;
        _flush = flush;
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
    }

    /// <summary>Whether a frame enqueued now would be taken.</summary>
    public bool HasRoom => _queue.Count < _queue.Capacity;

    public void Start() => _thread.Start();

    /// <summary>Copies the frame into the queue; false when the queue is full (or the writer stopped).</summary>
    public bool TryEnqueue(ReadOnlySpan<byte> frame)
    {
        if (!_queue.TryEnqueue(frame, out bool wasEmpty))
            return false;
        if (wasEmpty)
            _wake.Set();
        return true;
    }

    private void Loop()
    {
        int half = _queue.Capacity / 2;
        while (!_stopped)
        {
            while (!_stopped && _queue.TryDequeue(out var frame))
            {
                using (frame)
                    _write(frame.Span);
                if (_queue.Count == half)
                    NetRoomSignal.Pulse();
            }

            _flush?.Invoke();
            NetRoomSignal.Pulse();
            _wake.WaitOne();
        }
    }

    /// <summary>
    /// Stops the thread and returns the queued buffers. The owner closes the wire first, so a write blocked on it fails
    /// (the write delegate swallows that) and the thread sees the stop.
    /// </summary>
    public void Dispose()
    {
        _stopped = true;
        _wake.Set();
        if (_thread.IsAlive && Thread.CurrentThread != _thread)
            _thread.Join();
        _queue.Dispose();
        _wake.Dispose();
        NetRoomSignal.Pulse();
    }
}
