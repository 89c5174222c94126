namespace ExportPS.Engine.Model;

/// <summary>A dirty bitmap of a node (QEMU's BlockDirtyInfo).</summary>
public sealed record DirtyBitmapInfo
{
    public required string NodeName { get; init; }

    public required string Name { get; init; }

    public required long Granularity { get; init; }

    /// <summary>Dirty bytes (QEMU's count): granularity-aligned, clipped to the node size.</summary>
    public required long Count { get; init; }

    public required bool Enabled { get; init; }

    public required bool Persistent { get; init; }

    /// <summary>True while an export publishes it (QEMU's busy): it cannot be removed or changed then.</summary>
    public required bool Busy { get; init; }
}
