using System.Runtime.InteropServices;
using Microsoft.Extensions.ObjectPool;

namespace ExportPS.Engine.Block.Drivers;

/// <summary>Native memory aligned for O_DIRECT (the kernel needs buffer addresses on the device's block boundary).</summary>
internal sealed unsafe class AlignedBuffer : IDisposable
{
    private void* _pointer;

    public AlignedBuffer(int length, int alignment)
    {
        _pointer = NativeMemory.AlignedAlloc((nuint)length, (nuint)alignment);
        Length = length;
    }

    public int Length { get; }

    public Span<byte> Span => new(_pointer, Length);

    public void Dispose()
    {
        NativeMemory.AlignedFree(_pointer);
        _pointer = null;
        GC.SuppressFinalize(this);
    }

    ~AlignedBuffer() => NativeMemory.AlignedFree(_pointer);

    /// <summary>Creates buffers of one size; the pool (a disposable pool, since buffers are IDisposable) frees the ones it drops.</summary>
    public sealed class Policy(int length, int alignment) : PooledObjectPolicy<AlignedBuffer>
    {
        public override AlignedBuffer Create() => new(length, alignment);

        public override bool Return(AlignedBuffer obj) => true;
    }
}
