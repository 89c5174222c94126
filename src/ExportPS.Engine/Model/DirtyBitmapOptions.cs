namespace ExportPS.Engine.Model;

/// <summary>block-dirty-bitmap-add.</summary>
public sealed record DirtyBitmapOptions
{
    public required string NodeName { get; init; }

    public required string Name { get; init; }

    /// <summary>Bytes per bit: a power of two from 512 to 2 GiB; default 64 KiB.</summary>
    public long Granularity { get; init; } = DefaultGranularity;

    public bool Persistent { get; init; }

    public bool Disabled { get; init; }

    public const long DefaultGranularity = 64 * 1024;
}
