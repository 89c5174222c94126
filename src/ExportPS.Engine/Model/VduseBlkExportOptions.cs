namespace ExportPS.Engine.Model;

/// <summary>
/// BlockExportOptionsVduseBlk. ExportPS validates these as QEMU does, then refuses the export: serving it needs the
/// kernel's VDUSE device (/dev/vduse).
/// </summary>
public sealed record VduseBlkExportOptions
{
    /// <summary>QEMU's VIRTQUEUE_MAX_SIZE.</summary>
    public const int MaxQueueSize = 1024;

    /// <summary>The VDUSE device name, unique across the host.</summary>
    public required string Name { get; init; }

    public int NumQueues { get; init; } = 1;

    public int QueueSize { get; init; } = 256;

    /// <summary>A power of two from 512 bytes to the page size.</summary>
    public long LogicalBlockSize { get; init; } = 512;

    public string Serial { get; init; } = string.Empty;
}
