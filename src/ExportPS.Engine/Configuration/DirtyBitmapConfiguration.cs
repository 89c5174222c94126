using ExportPS.Engine.Model;

namespace ExportPS.Engine.Configuration;

/// <summary>A dirty bitmap of a node (block-dirty-bitmap-add); identified by node and name.</summary>
public sealed record DirtyBitmapConfiguration
{
    public required string NodeName { get; init; }

    public required string Name { get; init; }

    public ConfigurationEnsure Ensure { get; init; }

    public long Granularity { get; init; } = DirtyBitmapOptions.DefaultGranularity;

    public bool Persistent { get; init; }

    public bool Enabled { get; init; } = true;

    /// <summary>"node/name": the form exports use to name a bitmap of any node.</summary>
    public string Key => NodeName + "/" + Name;

    public DirtyBitmapOptions ToOptions() => new()
    {
        NodeName = NodeName,
        Name = Name,
        Granularity = Granularity,
        Persistent = Persistent,
        Disabled = !Enabled,
    };
}
