using ExportPS.Engine.Model;

namespace ExportPS.Engine.Configuration;

/// <summary>
/// A netdev (netdev_add) of any type, its options as netdev_add takes them, and its link state (set_link). A hub is
/// its hubport netdevs (same HubId). Options is null only for an Absent item.
/// </summary>
public sealed record NetdevConfiguration
{
    public required string Id { get; init; }

    public NetdevOptions? Options { get; init; }

    public bool LinkUp { get; init; } = true;

    public ConfigurationEnsure Ensure { get; init; }
}
