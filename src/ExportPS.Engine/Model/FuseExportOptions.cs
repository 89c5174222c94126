namespace ExportPS.Engine.Model;

/// <summary>FuseExportAllowOther: whether users other than the engine's may use the mounted file.</summary>
public enum FuseExportAllowOther
{
    Off,
    On,

    /// <summary>Try allow_other, and mount without it when the system refuses (QEMU's default).</summary>
    Auto,
}

/// <summary>BlockExportOptionsFuse: the node appears as the regular file <see cref="MountPoint"/> (mounted over it).</summary>
public sealed record FuseExportOptions
{
    /// <summary>An existing regular file the export is mounted on.</summary>
    public required string MountPoint { get; init; }

    /// <summary>Writes past the end, truncate and fallocate may resize the node.</summary>
    public bool Growable { get; init; }

    public FuseExportAllowOther AllowOther { get; init; } = FuseExportAllowOther.Auto;
}
