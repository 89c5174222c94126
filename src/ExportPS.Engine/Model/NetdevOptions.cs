namespace ExportPS.Engine.Model;

/// <summary>
/// netdev_add / -netdev: QEMU's Netdev union. The base holds the id; one derived record per type carries that type's
/// options (NetdevSocketOptions, NetdevStreamOptions, NetdevDgramOptions, NetdevHubPortOptions).
/// </summary>
public abstract record NetdevOptions
{
    public required string Id { get; init; }

    /// <summary>The QAPI type name (NetClientDriver).</summary>
    public abstract string Type { get; }

    /// <summary>The options in QEMU's -netdev syntax, without type and id (Get-Netdev's Options column).</summary>
    public abstract string Summary();

    /// <summary>QEMU's refusal of a bad combination of options, or null when they fit together.</summary>
    internal virtual string? CombinationError() => null;
}
