namespace ExportPS.Engine.Model;

/// <summary>A FUSE export's own part of its description.</summary>
public sealed record FuseExportDetails : BlockExportDetails
{
    public required string MountPoint { get; init; }

    public bool Growable { get; init; }

    /// <summary>The allow-other option the export was added with.</summary>
    public FuseExportAllowOther AllowOther { get; init; } = FuseExportAllowOther.Auto;

    /// <summary>Whether the mount lets other users in (allow-other auto resolves to one or the other when mounting).</summary>
    public bool OthersAllowed { get; init; }

    /// <summary>Files open on the mount; a safe removal waits until there are none.</summary>
    public int OpenHandles { get; init; }

    /// <summary>Kernel requests answered since the mount.</summary>
    public long Requests { get; init; }

    /// <summary>The mount point: what a table of exports shows for a FUSE export.</summary>
    public override string ToString() => MountPoint;
}
