using System.Buffers;

namespace ExportPS.Engine.VhostUser;

/// <summary>
/// Lets block I/O take <see cref="Memory{T}"/> views of mapped guest memory. A Memory is at most 2 GiB long while a guest
/// region may be larger, so each region is cut into windows of <see cref="GuestMemoryRegion.WindowSize"/> bytes and a
/// buffer that straddles two windows becomes two pieces. The memory stays mapped as long as the
/// <see cref="GuestMemory"/> it was found through is acquired; the window itself pins nothing.
/// </summary>
internal sealed unsafe class NativeMemoryWindow(byte* start, int length) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => new(start, length);

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)elementIndex, (uint)length, nameof(elementIndex));
        return new MemoryHandle(start + elementIndex);
    }

    public override void Unpin()
    {
        // Mapped memory never moves.
    }

    protected override void Dispose(bool disposing)
    {
        // The mapping belongs to the region.
    }
}
