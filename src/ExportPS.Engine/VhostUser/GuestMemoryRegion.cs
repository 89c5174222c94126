using System.Runtime.InteropServices;
using ExportPS.Engine.Interop;
using Microsoft.Win32.SafeHandles;

namespace ExportPS.Engine.VhostUser;

/// <summary>
/// One region of guest RAM mapped from the fd the front-end passed: where it sits in guest physical memory and in the
/// front-end's address space, and where it is mapped here. The mapping is a reference-counted handle: every
/// <see cref="GuestMemory"/> that lists the region holds a reference, so a region removed while requests still use it
/// is unmapped only when the last of them is done.
/// </summary>
public sealed unsafe class GuestMemoryRegion : IDisposable
{
    /// <summary>The span of one <see cref="NativeMemoryWindow"/>.</summary>
    internal const int WindowShift = 30;
    internal const long WindowSize = 1L << WindowShift;

    private readonly MappingHandle _mapping;
    private readonly byte* _host;
    private readonly NativeMemoryWindow[] _windows;

    private GuestMemoryRegion(MemoryRegionDescription description, MappingHandle mapping, byte* host)
    {
        Description = description;
        _mapping = mapping;
        _host = host;
        _windows = new NativeMemoryWindow[(int)((description.Size + (ulong)WindowSize - 1) >> WindowShift)];
        for (int i = 0; i < _windows.Length; i++)
        {
            long start = (long)i << WindowShift;
            _windows[i] = new NativeMemoryWindow(host + start, (int)Math.Min(WindowSize, (long)description.Size - start));
        }
    }

    public MemoryRegionDescription Description { get; }

    public ulong GuestAddress => Description.GuestAddress;

    public ulong Size => Description.Size;

    public ulong UserAddress => Description.UserAddress;

    /// <summary>
    /// Maps <paramref name="description"/>'s part of <paramref name="fd"/> shared and writable. The fd may be closed
    /// afterwards (the mapping keeps the memory). Returns null and a reason when the description is unusable or mmap fails.
    /// </summary>
    public static GuestMemoryRegion? TryMap(SafeFileHandle fd, MemoryRegionDescription description, out string? error)
    {
        error = Validate(description);
        if (error is not null)
        {
            return null;
        }

        // mmap wants a page-aligned offset: map from the page holding the region's start.
        ulong page = (ulong)Environment.SystemPageSize;
        ulong mapOffset = description.MmapOffset & ~(page - 1);
        ulong skip = description.MmapOffset - mapOffset;
        nuint length = (nuint)(description.Size + skip);
        nint address = Native.MMap(0, length, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, fd, (long)mapOffset);
        if (address == Native.MapFailed)
        {
            error = $"mmap of guest memory region at 0x{description.GuestAddress:x} ({description.Size} bytes) failed: "
                + Native.ErrorText(Marshal.GetLastPInvokeError());
            return null;
        }

        return new GuestMemoryRegion(description, new MappingHandle(address, length), (byte*)address + skip);
    }

    private static string? Validate(MemoryRegionDescription description)
    {
        // Every end address must be representable, and the mapping must fit the address space and mmap's signed offset.
        const ulong maxEnd = long.MaxValue;
        if (description.Size == 0)
        {
            return $"guest memory region at 0x{description.GuestAddress:x} is empty";
        }

        if (description.GuestAddress > ulong.MaxValue - description.Size
            || description.UserAddress > ulong.MaxValue - description.Size
            || description.MmapOffset > maxEnd - description.Size
            || description.Size > maxEnd)
        {
            return $"guest memory region at 0x{description.GuestAddress:x} of {description.Size} bytes "
                + $"(user address 0x{description.UserAddress:x}, offset 0x{description.MmapOffset:x}) wraps around";
        }

        return null;
    }

    /// <summary>Host address of byte <paramref name="offset"/> of the region.</summary>
    internal byte* HostAt(ulong offset) => _host + offset;

    /// <summary>
    /// The piece of at most <paramref name="length"/> bytes starting at <paramref name="offset"/> that lies in one
    /// window (the rest continues in the next window or region).
    /// </summary>
    internal Memory<byte> Piece(ulong offset, ulong length)
    {
        int window = (int)(offset >> WindowShift);
        int within = (int)(offset & (WindowSize - 1));
        int run = (int)Math.Min(length, (ulong)(_windows[window].Memory.Length - within));
        return _windows[window].Memory.Slice(within, run);
    }

    internal void AddReference()
    {
        bool added = false;
        _mapping.DangerousAddRef(ref added);
    }

    internal void ReleaseReference() => _mapping.DangerousRelease();

    /// <summary>Drops the owner's reference; the memory is unmapped once no <see cref="GuestMemory"/> uses it.</summary>
    public void Dispose() => _mapping.Dispose();

    private sealed class MappingHandle : SafeHandle
    {
        private readonly nuint _length;

        public MappingHandle(nint address, nuint length)
            : base(Native.MapFailed, ownsHandle: true)
        {
            SetHandle(address);
            _length = length;
        }

        public override bool IsInvalid => handle == Native.MapFailed;

        protected override bool ReleaseHandle() => Native.MUnmap(handle, _length) == 0;
    }
}
