namespace ExportPS.Engine.Model;

/// <summary>
/// netdev_add / -netdev: QEMU's Netdev union. The base holds the id; one derived record per type carries that type's
/// options (NetdevSocketOptions, NetdevStreamOptions, NetdevDgramOptions, NetdevHubPortOptions).
/// </summary>
public abstract record NetdevOptions
{
    public required string Id { get; init; }

    /// <summary>
    /// x-peer, an ExportPS extension: the id of an existing netdev to peer this one with directly, without a hub (QEMU
    /// peers a netdev only with a NIC, or a hub port through netdev=). Not valid for a hub port.
    /// </summary>
    public string? Peer { get; init; }

    /// <summary>The QAPI type name (NetClientDriver).</summary>
    public abstract string Type { get; }

    /// <summary>The options in QEMU's -netdev syntax, without type and id (Get-Netdev's Options column).</summary>
    public abstract string Summary();

    /// <summary>QEMU's refusal of a bad combination of options, or null when they fit together.</summary>
    internal virtual string? CombinationError() => null;
}
