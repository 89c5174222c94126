using System.Buffers;

namespace ExportPS.Engine.Net;

/// <summary>A frame copied into a rented buffer; Dispose gives the buffer back (once, by the one consumer).</summary>
public readonly struct PooledFrame : IDisposable
{
    private readonly byte[] _buffer;
    private readonly ArrayPool<byte> _pool;

    internal PooledFrame(ArrayPool<byte> pool, ReadOnlySpan<byte> frame)
    {
        _pool = pool;
        _buffer = pool.Rent(frame.Length);
        frame.CopyTo(_buffer);
        Length = frame.Length;
    }

    public int Length { get; }

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    public void Dispose() => _pool?.Return(_buffer);
}
