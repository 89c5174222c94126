using ExportPS.Engine.VhostUser;
using Xunit;

namespace ExportPS.Engine.Tests.VhostUser;

public sealed unsafe class GuestMemoryTests
{
    private const long Mib = 1 << 20;

    [Fact]
    public void GuestAddress_TranslatesToTheBytesTheGuestSees()
    {
        using var guest = new TestGuest();
        ulong address = guest.Allocate(100);
        guest.At(address, 100).Fill(0x5a);
        var pieces = new List<Memory<byte>>();
        Assert.True(guest.Memory.TryAppendPieces(address, 100, pieces));
        var piece = Assert.Single(pieces);
        Assert.All(piece.ToArray(), b => Assert.Equal(0x5a, b));

        piece.Span[7] = 0xa5;
        Assert.Equal(0xa5, guest.At(address + 7, 1)[0]);
    }

    [Fact]
    public void RangeAcrossAdjacentRegions_BecomesOnePiecePerRegion()
    {
        using var guest = new TestGuest(4 * Mib, regionCount: 2);
        ulong boundary = TestGuest.GuestBase + (2 * Mib);
        var data = TestNodesPattern(8192);
        data.CopyTo(guest.At(boundary - 4096, 8192));

        var pieces = new List<Memory<byte>>();
        Assert.True(guest.Memory.TryAppendPieces(boundary - 4096, 8192, pieces));
        Assert.Equal([4096, 4096], pieces.Select(p => p.Length));
        Assert.Equal(data, pieces.SelectMany(p => p.ToArray()));
    }

    [Theory]
    [InlineData(0UL, 16UL)]
    [InlineData(TestGuest.GuestBase - 1, 2UL)]
    [InlineData(TestGuest.GuestBase + (4 * Mib) - 8, 16UL)]
    [InlineData(TestGuest.GuestBase + (4 * Mib), 1UL)]
    [InlineData(TestGuest.GuestBase, ulong.MaxValue)]
    [InlineData(ulong.MaxValue - 4, 16UL)]
    public void RangesOutsideMemory_AreRefusedWithNothingAppended(ulong address, ulong length)
    {
        using var guest = new TestGuest(4 * Mib, regionCount: 2);
        var pieces = new List<Memory<byte>>();
        Assert.False(guest.Memory.TryAppendPieces(address, length, pieces));
        Assert.Empty(pieces);
        Assert.False(guest.Memory.TryGetGuestPointer(address, length, out _));
    }

    [Fact]
    public void Pointers_MustLieInOneRegion()
    {
        using var guest = new TestGuest(4 * Mib, regionCount: 2);
        ulong boundary = TestGuest.GuestBase + (2 * Mib);
        Assert.True(guest.Memory.TryGetGuestPointer(boundary - 16, 16, out byte* before));
        Assert.True(guest.Memory.TryGetGuestPointer(boundary, 16, out byte* after));
        Assert.True(before != null && after != null);
        Assert.False(guest.Memory.TryGetGuestPointer(boundary - 8, 16, out _));
    }

    [Fact]
    public void UserAddresses_TranslateThroughTheFrontEndsMapping()
    {
        using var guest = new TestGuest(4 * Mib, regionCount: 2);
        ulong address = TestGuest.GuestBase + (3 * Mib);
        guest.At(address, 1)[0] = 0x77;
        Assert.True(guest.Memory.TryGetUserPointer(TestGuest.UserAddressOf(address), 1, out byte* host));
        Assert.Equal(0x77, *host);
        Assert.False(guest.Memory.TryGetUserPointer(address, 1, out _));
        Assert.False(guest.Memory.TryGetUserPointer(TestGuest.UserBase + (4 * Mib) - 4, 8, out _));
    }

    [Fact]
    public void UnalignedMmapOffset_MapsTheRightBytes()
    {
        using var guest = new TestGuest(2 * Mib);
        guest.At(TestGuest.GuestBase + 100, 4).Fill(0x42);
        using var region = GuestMemoryRegion.TryMap(guest.Fd, new MemoryRegionDescription(0x8000_0000, 4096, 0x1000, 100), out string? error);
        Assert.Null(error);
        var table = GuestMemory.TryCreate([region!], out _)!;
        Assert.True(table.TryGetGuestPointer(0x8000_0000, 4, out byte* host));
        Assert.Equal(0x42, host[3]);
        table.Release();
    }

    [Theory]
    [InlineData(0x1000UL, 0UL, 0UL, 0UL)]
    [InlineData(ulong.MaxValue - 10, 4096UL, 0UL, 0UL)]
    [InlineData(0x1000UL, 4096UL, ulong.MaxValue - 10, 0UL)]
    [InlineData(0x1000UL, 4096UL, 0UL, ulong.MaxValue - 10)]
    public void UnusableRegionDescriptions_AreRefused(ulong guestAddress, ulong size, ulong userAddress, ulong offset)
    {
        using var guest = new TestGuest(Mib);
        Assert.Null(GuestMemoryRegion.TryMap(guest.Fd, new MemoryRegionDescription(guestAddress, size, userAddress, offset), out string? error));
        Assert.NotNull(error);
    }

    [Fact]
    public void OverlappingRegions_AreRefused()
    {
        using var guest = new TestGuest(Mib);
        using var a = GuestMemoryRegion.TryMap(guest.Fd, new(0x10000, 8192, 0x7000_0000, 0), out _)!;
        using var b = GuestMemoryRegion.TryMap(guest.Fd, new(0x11000, 8192, 0x8000_0000, 0), out _)!;
        using var c = GuestMemoryRegion.TryMap(guest.Fd, new(0x20000, 8192, 0x7000_1000, 0), out _)!;
        Assert.Null(GuestMemory.TryCreate([a, b], out string? guestError));
        Assert.Contains("overlaps", guestError);
        Assert.Null(GuestMemory.TryCreate([a, c], out _));
    }

    [Fact]
    public void AddAndRemove_ProduceNewTables()
    {
        using var guest = new TestGuest(Mib);
        using var region = GuestMemoryRegion.TryMap(guest.Fd, new(0x10000, 8192, 0x7000_0000, 0), out _)!;
        var empty = GuestMemory.CreateEmpty();
        var added = empty.TryAdd(region, out _)!;
        Assert.True(added.TryGetGuestPointer(0x10000, 8192, out _));
        Assert.False(empty.TryGetGuestPointer(0x10000, 1, out _));

        Assert.Null(added.TryRemove(new(0x10000, 4096, 0x7000_0000, 0), out _));
        var removed = added.TryRemove(new(0x10000, 8192, 0x7000_0000, 0xdead), out var which)!;
        Assert.Same(region, which);
        Assert.Empty(removed.Regions);
        foreach (var table in new[] { empty, added, removed })
        {
            table.Release();
        }
    }

    [Fact]
    public void AcquiredTable_KeepsItsRegionsMappedAfterTheOwnerReleasedIt()
    {
        using var guest = new TestGuest(Mib);
        var region = GuestMemoryRegion.TryMap(guest.Fd, new(0x10000, 8192, 0x7000_0000, 0), out _)!;
        var table = GuestMemory.TryCreate([region], out _)!;
        region.Dispose();
        Assert.True(table.TryAcquire());
        var pieces = new List<Memory<byte>>();
        Assert.True(table.TryAppendPieces(0x10000, 16, pieces));

        table.Release();
        pieces[0].Span.Fill(0x11);
        Assert.Equal(0x11, guest.At(TestGuest.GuestBase + 15, 1)[0]);

        table.Release();
        Assert.False(table.TryAcquire());
    }

    private static byte[] TestNodesPattern(int length) => Block.TestNodes.Pattern(length, length);
}
