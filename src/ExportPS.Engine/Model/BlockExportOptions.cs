namespace ExportPS.Engine.Model;

/// <summary>QEMU's BlockExportType.</summary>
public enum BlockExportType
{
    Nbd,
    VhostUserBlk,
    Fuse,
    VduseBlk,
}

public enum BlockExportRemoveMode
{
    /// <summary>Refused while clients are connected.</summary>
    Safe,

    /// <summary>Drops every client, then removes the export.</summary>
    Hard,
}

/// <summary>block-export-add: the common base plus one per-type branch (only the branch of <see cref="Type"/> is read).</summary>
public sealed record BlockExportOptions
{
    public BlockExportType Type { get; init; } = BlockExportType.Nbd;

    public required string Id { get; init; }

    public required string NodeName { get; init; }

    public bool Writable { get; init; }

    /// <summary>Flush after every write before the write completes.</summary>
    public bool Writethrough { get; init; }

    public string? IoThread { get; init; }

    public bool FixedIoThread { get; init; }

    public NbdExportOptions Nbd { get; init; } = new();

    /// <summary>The vhost-user-blk branch; required when <see cref="Type"/> is vhost-user-blk (its socket has no default).</summary>
    public VhostUserBlkExportOptions? VhostUserBlk { get; init; }

    /// <summary>The fuse branch; required when <see cref="Type"/> is fuse (its mount point has no default).</summary>
    public FuseExportOptions? Fuse { get; init; }

    /// <summary>The vduse-blk branch; required when <see cref="Type"/> is vduse-blk (its device name has no default).</summary>
    public VduseBlkExportOptions? VduseBlk { get; init; }
}

/// <summary>BlockExportOptionsNbd.</summary>
public sealed record NbdExportOptions
{
    /// <summary>Export name; defaults to the node name.</summary>
    public string? Name { get; init; }

    /// <summary>Free-form text of at most 4096 bytes (UTF-8).</summary>
    public string? Description { get; init; }

    /// <summary>Dirty bitmaps to publish as qemu:dirty-bitmap:NAME: "name" (on the exported node) or "node/name".</summary>
    public string[] Bitmaps { get; init; } = [];

    /// <summary>Publish qemu:allocation-depth.</summary>
    public bool AllocationDepth { get; init; }

    public const int MaxDescriptionBytes = 4096;
}
