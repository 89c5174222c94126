using System.Buffers;
using System.Numerics;

namespace ExportPS.Engine.Exports;

/// <summary>
/// Buffers for request data. Small ones come from <see cref="ArrayPool{T}.Shared"/>, whose per-thread slots suit them.
/// Bulk ones (over 32 KiB) come from stacks of this pool's own, one per power-of-two size, which keep every buffer given
/// back up to <see cref="RetainedLimit"/> bytes in all. The shared pool keeps a few arrays per core and moves them
/// between threads: with bulk requests finishing on other threads than they started on, it kept missing and allocating
/// fresh 512 KiB arrays (a few per 8,000 reads of 256 KiB), each a large-object allocation the GC must zero and later
/// collect. Taken from the top of a stack, a buffer is also the one used last, still in cache.
/// </summary>
internal sealed class RequestBufferPool : ArrayPool<byte>
{
    /// <summary>Four connections' worth of held data (<see cref="Nbd.NbdConnection.HeldBytesLimit"/>).</summary>
    public const long RetainedLimit = 32 << 20;

    private const int SmallMaximum = 32 * 1024;
    private const int FirstBulkShift = 16; // 64 KiB, the first power of two above SmallMaximum
    private const int LastBulkShift = 30;

    private readonly Stack<byte[]>[] _stacks =
        Enumerable.Range(0, LastBulkShift - FirstBulkShift + 1).Select(_ => new Stack<byte[]>()).ToArray();

    private long _retained;

    public static RequestBufferPool Instance { get; } = new();

    /// <summary>Bytes of bulk buffers kept for reuse now.</summary>
    public long Retained => Volatile.Read(ref _retained);

    public override byte[] Rent(int minimumLength)
    {
        if (minimumLength <= SmallMaximum)
        {
            return Shared.Rent(minimumLength);
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThan(minimumLength, 1 << LastBulkShift);
        int shift = BitOperations.Log2(BitOperations.RoundUpToPowerOf2((uint)minimumLength));
        var stack = _stacks[shift - FirstBulkShift];
        lock (stack)
        {
            if (stack.TryPop(out var buffer))
            {
                Interlocked.Add(ref _retained, -buffer.Length);
                return buffer;
            }
        }

        return GC.AllocateUninitializedArray<byte>(1 << shift);
    }

    public override void Return(byte[] array, bool clearArray = false)
    {
        if (array.Length <= SmallMaximum)
        {
            Shared.Return(array, clearArray);
            return;
        }

        if (!BitOperations.IsPow2(array.Length) || array.Length > 1 << LastBulkShift)
        {
            throw new ArgumentException("the buffer was not rented from this pool", nameof(array));
        }

        if (clearArray)
        {
            Array.Clear(array);
        }

        if (Interlocked.Add(ref _retained, array.Length) > RetainedLimit)
        {
            Interlocked.Add(ref _retained, -array.Length);
            return; // past the limit: dropped, for the GC
        }

        var stack = _stacks[BitOperations.Log2((uint)array.Length) - FirstBulkShift];
        lock (stack)
        {
            stack.Push(array);
        }
    }
}
