namespace ExportPS.Engine.Model;

/// <summary>BlockExportOptionsVhostUserBlk: the socket the front-end (QEMU) connects to, and what the guest's disk looks like.</summary>
public sealed record VhostUserBlkExportOptions
{
    /// <summary>QEMU's check_block_size limits: a power of two from 512 bytes to 2 MiB.</summary>
    public const long MinLogicalBlockSize = 512;
    public const long MaxLogicalBlockSize = 2 << 20;

    /// <summary>num-queues is a uint16 in the schema.</summary>
    public const int MaxNumQueues = ushort.MaxValue;

    /// <summary>Where to listen: a unix socket path, or a listening unix socket passed as an fd.</summary>
    public required SocketAddressOptions Address { get; init; }

    public long LogicalBlockSize { get; init; } = MinLogicalBlockSize;

    /// <summary>Request virtqueues; at least 1.</summary>
    public int NumQueues { get; init; } = 1;
}
