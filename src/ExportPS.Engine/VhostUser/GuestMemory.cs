namespace ExportPS.Engine.VhostUser;

/// <summary>
/// An immutable set of guest memory regions and the address translations over it: guest physical addresses (what
/// descriptors hold) and front-end virtual addresses (what SET_VRING_ADDR holds). Every translation checks bounds
/// without overflow; a range outside memory is refused.
/// <para>
/// The owner holds one reference and drops it with <see cref="Release"/> when the table changes; a request being
/// processed holds another (<see cref="TryAcquire"/>), so the regions stay mapped until it is done.
/// </para>
/// </summary>
public sealed unsafe class GuestMemory
{
    /// <summary>VHOST_USER_MAX_RAM_SLOTS as libvhost-user has it: what GET_MAX_MEM_SLOTS reports.</summary>
    public const int MaxSlots = 32;

    private readonly GuestMemoryRegion[] _regions;
    private int _references = 1;

    /// <summary>Takes a reference to each region for as long as this table lives.</summary>
    private GuestMemory(GuestMemoryRegion[] regions)
    {
        _regions = regions;
        foreach (var region in regions)
        {
            region.AddReference();
        }
    }

    public static GuestMemory CreateEmpty() => new([]);

    public IReadOnlyList<GuestMemoryRegion> Regions => _regions;

    /// <summary>
    /// A table of <paramref name="regions"/> (SET_MEM_TABLE); null and a reason when two overlap in guest or front-end
    /// address space or there are more than <see cref="MaxSlots"/>. The table takes its own references: the caller still
    /// disposes the regions it created once it no longer needs them.
    /// </summary>
    public static GuestMemory? TryCreate(IReadOnlyList<GuestMemoryRegion> regions, out string? error)
    {
        error = null;
        if (regions.Count > MaxSlots)
        {
            error = $"{regions.Count} guest memory regions are more than the {MaxSlots} slots";
            return null;
        }

        for (int i = 0; i < regions.Count; i++)
        {
            for (int j = 0; j < i; j++)
            {
                var (region, other) = (regions[i], regions[j]);
                if (Overlaps(region.GuestAddress, other.GuestAddress, region.Size, other.Size)
                    || Overlaps(region.UserAddress, other.UserAddress, region.Size, other.Size))
                {
                    error = $"guest memory region at 0x{region.GuestAddress:x} ({region.Size} bytes) overlaps the region at 0x{other.GuestAddress:x}";
                    return null;
                }
            }
        }

        return new GuestMemory([.. regions]);
    }

    /// <summary>A table with <paramref name="region"/> added (ADD_MEM_REG); null and a reason as for <see cref="TryCreate"/>.</summary>
    public GuestMemory? TryAdd(GuestMemoryRegion region, out string? error) => TryCreate([.. _regions, region], out error);

    /// <summary>
    /// A table without the region REM_MEM_REG names (by guest address, user address and size; the offset is ignored);
    /// null when there is no such region.
    /// </summary>
    public GuestMemory? TryRemove(MemoryRegionDescription description, out GuestMemoryRegion? removed)
    {
        removed = Array.Find(_regions, r => r.GuestAddress == description.GuestAddress
            && r.UserAddress == description.UserAddress && r.Size == description.Size);
        if (removed is null)
        {
            return null;
        }

        var kept = removed;
        return new GuestMemory(Array.FindAll(_regions, r => r != kept));
    }

    private static bool Overlaps(ulong a, ulong b, ulong aSize, ulong bSize) => a < b + bSize && b < a + aSize;

    /// <summary>Takes a reference for a request; false once the table was released for good.</summary>
    public bool TryAcquire()
    {
        int current = Volatile.Read(ref _references);
        while (current > 0)
        {
            int seen = Interlocked.CompareExchange(ref _references, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    /// <summary>Drops a reference; the last one drops the table's references to its regions.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            foreach (var region in _regions)
            {
                region.ReleaseReference();
            }
        }
    }

    /// <summary>
    /// Host address of [guestAddress, guestAddress + length) when the range lies within one region: ring structures and
    /// single descriptors, which are read in place.
    /// </summary>
    public bool TryGetGuestPointer(ulong guestAddress, ulong length, out byte* host) => TryGetPointer(guestAddress, length, user: false, out host);

    /// <summary>Host address of a range given in front-end virtual addresses (vring addresses), within one region.</summary>
    public bool TryGetUserPointer(ulong userAddress, ulong length, out byte* host) => TryGetPointer(userAddress, length, user: true, out host);

    private bool TryGetPointer(ulong address, ulong length, bool user, out byte* host)
    {
        foreach (var region in _regions)
        {
            ulong offset = address - (user ? region.UserAddress : region.GuestAddress);
            if (offset < region.Size && length <= region.Size - offset)
            {
                host = region.HostAt(offset);
                return true;
            }
        }

        host = null;
        return false;
    }

    /// <summary>
    /// Appends the pieces that make up [guestAddress, guestAddress + length) to <paramref name="pieces"/>: one per window
    /// and region it spans (regions adjacent in guest memory continue each other). False, with nothing appended, when
    /// any byte of the range is outside guest memory or the range wraps around.
    /// </summary>
    public bool TryAppendPieces(ulong guestAddress, ulong length, List<Memory<byte>> pieces)
    {
        if (length > ulong.MaxValue - guestAddress)
        {
            return false;
        }

        int start = pieces.Count;
        while (length > 0)
        {
            var region = FindGuest(guestAddress);
            if (region is null)
            {
                pieces.RemoveRange(start, pieces.Count - start);
                return false;
            }

            ulong offset = guestAddress - region.GuestAddress;
            var piece = region.Piece(offset, Math.Min(length, region.Size - offset));
            pieces.Add(piece);
            guestAddress += (ulong)piece.Length;
            length -= (ulong)piece.Length;
        }

        return true;
    }

    private GuestMemoryRegion? FindGuest(ulong guestAddress)
    {
        foreach (var region in _regions)
        {
            if (guestAddress - region.GuestAddress < region.Size)
            {
                return region;
            }
        }

        return null;
    }
}
