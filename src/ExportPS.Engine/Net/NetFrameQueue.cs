using System.Buffers;

namespace ExportPS.Engine.Net;

/// <summary>
/// The bounded queue between the threads that deliver frames to a backend (any number: a hub fans out from every
/// port's thread) and the one writer that puts them on its wire. When the writer cannot keep up the queue fills and
/// further frames are refused (the netdev counts them as queue-full) instead of growing without bound. Frames are
/// copied into buffers rented from an <see cref="ArrayPool{T}"/>, so steady traffic allocates nothing.
/// </summary>
public sealed class NetFrameQueue : IDisposable
{
    private readonly PooledFrame[] _ring;
    private readonly ArrayPool<byte> _pool;
    private readonly object _gate = new();
    private int _head;
    private int _count;
    private bool _disposed;

    public NetFrameQueue(int capacity, ArrayPool<byte>? pool = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _ring = new PooledFrame[capacity];
        _pool = pool ?? ArrayPool<byte>.Shared;
    }

    public int Capacity => _ring.Length;

    /// <summary>The frames waiting; read without the lock, so it may be a moment old.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// Copies the frame in, unless the queue is full or disposed. <paramref name="wasEmpty"/> tells the producer that
    /// the writer may be idle and must be woken.
    /// </summary>
    public bool TryEnqueue(ReadOnlySpan<byte> frame, out bool wasEmpty)
    {
        wasEmpty = false;
        lock (_gate)
        {
            if (_disposed || _count == _ring.Length)
                return false;
            _ring[(_head + _count) % _ring.Length] = new PooledFrame(_pool, frame);
            wasEmpty = _count++ == 0;
            return true;
        }
    }

    /// <summary>Takes the oldest frame; the caller disposes it once written.</summary>
    public bool TryDequeue(out PooledFrame frame)
    {
        lock (_gate)
        {
            if (_count == 0)
            {
                frame = default;
                return false;
            }

            frame = _ring[_head];
            _ring[_head] = default;
            _head = (_head + 1) % _ring.Length;
            _count--;
            return true;
        }
    }

    /// <summary>Returns every queued buffer; later frames are refused.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            while (TryDequeue(out var frame))
                frame.Dispose();
        }
    }
}
