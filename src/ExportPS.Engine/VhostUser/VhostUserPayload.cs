namespace ExportPS.Engine.VhostUser;

/// <summary>The body of a message; which kind a request carries is fixed by the protocol (see <see cref="VhostUserCodec"/>).</summary>
public abstract record VhostUserPayload;

/// <summary>No body (SET_OWNER, RESET_DEVICE, the GET_* requests).</summary>
public sealed record EmptyPayload : VhostUserPayload
{
    public static readonly EmptyPayload Instance = new();
}

/// <summary>One u64: features, a status, a slot count, a REPLY_ACK result.</summary>
public sealed record U64Payload(ulong Value) : VhostUserPayload;

/// <summary>A vring index and a number (size, base index, enable flag).</summary>
public sealed record VringStatePayload(uint Index, uint Num) : VhostUserPayload;

/// <summary>
/// SET_VRING_KICK/CALL/ERR: the vring index (bits 0-7) and, in bit 8, that no file descriptor comes with it (the
/// front-end polls or the ring stops using one).
/// </summary>
public sealed record VringFdPayload(uint Index, bool NoFd) : VhostUserPayload
{
    public const ulong IndexMask = 0xff;
    public const ulong NoFdFlag = 0x100;
}

/// <summary>SET_VRING_ADDR: the ring parts as front-end virtual addresses (user addresses), plus the log address.</summary>
public sealed record VringAddressPayload(uint Index, uint Flags, ulong DescriptorTable, ulong UsedRing, ulong AvailableRing, ulong Log)
    : VhostUserPayload
{
    /// <summary>VHOST_VRING_F_LOG: dirty logging of the used ring (needs LOG_ALL, which ExportPS does not offer).</summary>
    public const uint LogFlag = 0x1;
}

/// <summary>One guest memory region: guest physical address, size, the front-end's virtual address, offset in its fd.</summary>
public readonly record struct MemoryRegionDescription(ulong GuestAddress, ulong Size, ulong UserAddress, ulong MmapOffset)
{
    public const int Length = 32;
}

/// <summary>SET_MEM_TABLE: the regions, one file descriptor each.</summary>
public sealed record MemoryTablePayload(IReadOnlyList<MemoryRegionDescription> Regions) : VhostUserPayload
{
    /// <summary>VHOST_MEMORY_BASELINE_NREGIONS: the most regions (and fds) one message carries.</summary>
    public const int MaxRegions = 8;
}

/// <summary>ADD_MEM_REG and REM_MEM_REG: a single region.</summary>
public sealed record MemoryRegionPayload(MemoryRegionDescription Region) : VhostUserPayload;

/// <summary>GET/SET_CONFIG: a window of the device config space and its bytes.</summary>
public sealed record ConfigPayload(uint Offset, uint Flags, byte[] Data) : VhostUserPayload
{
    public const int MaxSize = 256;
    public const int HeaderLength = 12;
}

/// <summary>GET/SET_INFLIGHT_FD: the shared area that tracks in-flight descriptors across reconnects.</summary>
public sealed record InflightPayload(ulong MmapSize, ulong MmapOffset, ushort NumQueues, ushort QueueSize) : VhostUserPayload
{
    /// <summary>QEMU's struct, with its 4 bytes of tail padding.</summary>
    public const int Length = 24;
}
