namespace ExportPS.Engine.VhostUser.Blk;

/// <summary>What a virtio-blk device offers the guest; the defaults are qemu-storage-daemon's.</summary>
public sealed record VirtioBlkOptions
{
    /// <summary>The guest's logical block size (blk_size): a power of two from 512 bytes to 64 KiB.</summary>
    public int LogicalBlockSize { get; init; } = 512;

    public int NumQueues { get; init; } = 1;

    public bool Writable { get; init; }

    /// <summary>Each write, discard and write-zeroes is durable before it completes (see ExportIoPolicy).</summary>
    public bool Writethrough { get; init; }

    /// <summary>What GET_ID returns (the export id); at most 20 bytes are sent.</summary>
    public string Serial { get; init; } = string.Empty;

    /// <summary>Largest single buffer (size_max).</summary>
    public uint SizeMax { get; init; } = 1 << 20;

    /// <summary>Most data buffers in one request (seg_max); QEMU's queue size of 128 minus header and status.</summary>
    public uint SegMax { get; init; } = 126;

    public uint MaxDiscardSectors { get; init; } = 32768;

    public uint MaxDiscardSegments { get; init; } = 1;

    public uint MaxWriteZeroesSectors { get; init; } = 32768;

    public uint MaxWriteZeroesSegments { get; init; } = 1;
}
