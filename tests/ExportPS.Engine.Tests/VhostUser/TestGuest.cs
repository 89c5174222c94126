using Xunit;
using ExportPS.Engine.Interop;
using ExportPS.Engine.VhostUser;
using Microsoft.Win32.SafeHandles;

namespace ExportPS.Engine.Tests.VhostUser;

/// <summary>
/// Guest RAM for tests: a memfd the test maps for itself (the driver's view) and hands to the back-end as
/// <paramref name="regionCount"/> equal regions, adjacent in guest physical and in front-end address space, as a
/// front-end would with SET_MEM_TABLE. A bump allocator hands out guest buffers.
/// </summary>
internal sealed unsafe class TestGuest : IDisposable
{
    public const ulong GuestBase = 0x1_0000_0000;
    public const ulong UserBase = 0x7f12_3400_0000;

    private readonly byte* _mapping;
    private ulong _next;

    public TestGuest(long size = 4 << 20, int regionCount = 1)
    {
        Size = size;
        Fd = Native.OwnedHandle(Native.MemFdCreate("exportps-test-guest", Native.MFD_CLOEXEC), "memfd_create");
        if (Native.FTruncate(Fd, size) != 0)
        {
            throw new IOException("ftruncate of the guest memfd failed");
        }

        nint address = Native.MMap(0, (nuint)size, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, Fd, 0);
        Assert.NotEqual(Native.MapFailed, address);
        _mapping = (byte*)address;

        ulong regionSize = (ulong)size / (ulong)regionCount;
        Descriptions = Enumerable.Range(0, regionCount)
            .Select(i => new MemoryRegionDescription(GuestBase + ((ulong)i * regionSize), regionSize, UserBase + ((ulong)i * regionSize), (ulong)i * regionSize))
            .ToArray();
        var regions = Descriptions.Select(d => GuestMemoryRegion.TryMap(Fd, d, out _)!).ToArray();
        Memory = GuestMemory.TryCreate(regions, out string? error) ?? throw new InvalidOperationException(error);
        foreach (var region in regions)
        {
            // The table holds its own references.
            region.Dispose();
        }

        _next = GuestBase;
    }

    public long Size { get; }

    public SafeFileHandle Fd { get; }

    public MemoryRegionDescription[] Descriptions { get; }

    public GuestMemory Memory { get; }

    public static ulong UserAddressOf(ulong guestAddress) => guestAddress - GuestBase + UserBase;

    /// <summary>The driver's view of [guestAddress, guestAddress + length).</summary>
    public Span<byte> At(ulong guestAddress, int length)
    {
        Assert.InRange(guestAddress, GuestBase, GuestBase + (ulong)Size - (ulong)length);
        return new Span<byte>(_mapping + (guestAddress - GuestBase), length);
    }

    /// <summary>Guest memory for a buffer, zeroed, aligned to <paramref name="alignment"/>.</summary>
    public ulong Allocate(long length, int alignment = 16)
    {
        ulong address = (_next + (ulong)alignment - 1) & ~((ulong)alignment - 1);
        _next = address + (ulong)length;
        Assert.True(_next <= GuestBase + (ulong)Size, "test guest memory is exhausted");
        new Span<byte>(_mapping + (address - GuestBase), (int)length).Clear();
        return address;
    }

    /// <summary>Moves the allocator, so the next buffer starts exactly at <paramref name="guestAddress"/>.</summary>
    public void AllocateFrom(ulong guestAddress) => _next = guestAddress;

    public void Dispose()
    {
        Memory.Release();
        Native.MUnmap((nint)_mapping, (nuint)Size);
        Fd.Dispose();
    }
}
