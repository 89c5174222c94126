using ExportPS.Engine.Model;

namespace ExportPS.Engine.Configuration;

/// <summary>
/// An export (block-export-add). Name, Description, Bitmaps and AllocationDepth belong to type nbd; SocketPath, NumQueues
/// and LogicalBlockSize to type vhost-user-blk; MountPoint, Growable and AllowOther to type fuse.
/// </summary>
public sealed record BlockExportConfiguration
{
    public required string Id { get; init; }

    public ConfigurationEnsure Ensure { get; init; }

    public BlockExportType Type { get; init; } = BlockExportType.Nbd;

    public string NodeName { get; init; } = string.Empty;

    public bool Writable { get; init; }

    public bool Writethrough { get; init; }

    public string? IoThread { get; init; }

    /// <summary>NBD export name; null means the node name.</summary>
    public string? Name { get; init; }

    public string? Description { get; init; }

    /// <summary>"name" (a bitmap of the exported node) or "node/name".</summary>
    public IReadOnlyList<string> Bitmaps { get; init; } = [];

    public bool AllocationDepth { get; init; }

    /// <summary>The unix socket a vhost-user-blk export listens on.</summary>
    public string? SocketPath { get; init; }

    public int NumQueues { get; init; } = 1;

    public long LogicalBlockSize { get; init; } = VhostUserBlkExportOptions.MinLogicalBlockSize;

    /// <summary>The regular file a fuse export is mounted on.</summary>
    public string? MountPoint { get; init; }

    public bool Growable { get; init; }

    public FuseExportAllowOther AllowOther { get; init; } = FuseExportAllowOther.Auto;

    /// <summary>The name NBD clients ask for.</summary>
    public string EffectiveName => Name ?? NodeName;

    /// <summary>A published bitmap as "node/name".</summary>
    public string BitmapKey(string reference) => reference.Contains('/') ? reference : NodeName + "/" + reference;

    public BlockExportOptions ToOptions() => new()
    {
        Type = Type,
        Id = Id,
        NodeName = NodeName,
        Writable = Writable,
        Writethrough = Writethrough,
        IoThread = IoThread,
        Nbd = new NbdExportOptions { Name = Name, Description = Description, Bitmaps = [.. Bitmaps], AllocationDepth = AllocationDepth },
        VhostUserBlk = Type != BlockExportType.VhostUserBlk ? null : new VhostUserBlkExportOptions
        {
            Address = SocketAddressOptions.Unix(SocketPath ?? string.Empty),
            NumQueues = NumQueues,
            LogicalBlockSize = LogicalBlockSize,
        },
        Fuse = Type != BlockExportType.Fuse ? null : new FuseExportOptions
        {
            MountPoint = MountPoint ?? string.Empty,
            Growable = Growable,
            AllowOther = AllowOther,
        },
    };
}
