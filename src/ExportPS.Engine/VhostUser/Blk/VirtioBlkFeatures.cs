namespace ExportPS.Engine.VhostUser.Blk;

/// <summary>virtio-blk feature bits (virtio 1.x, 5.2.3).</summary>
public static class VirtioBlkFeatures
{
    public const ulong SizeMax = 1UL << 1;
    public const ulong SegMax = 1UL << 2;
    public const ulong ReadOnly = 1UL << 5;
    public const ulong BlkSize = 1UL << 6;
    public const ulong Flush = 1UL << 9;
    public const ulong Topology = 1UL << 10;
    public const ulong Mq = 1UL << 12;
    public const ulong Discard = 1UL << 13;
    public const ulong WriteZeroes = 1UL << 14;
}
