using Microsoft.Extensions.Logging;

namespace ExportPS.Engine.Logging;

/// <summary>
/// Netdevs (ids 4000-4099, names netdev_*): added, removed, link changes, and what happens to a wire netdev's far end:
/// a stream peer connecting and leaving (QEMU's NETDEV_STREAM_CONNECTED and _DISCONNECTED), or breaking the framing,
/// and a VDE switch or a tap's interface going away.
/// </summary>
internal static partial class NetdevLog
{
    public const string Category = "ExportPS.Net";

    [LoggerMessage(4000, LogLevel.Information, "Netdev '{Id}' added ({Type})", EventName = "netdev_added")]
    public static partial void Added(this ILogger log, string id, string type);

    [LoggerMessage(4001, LogLevel.Information, "Netdev '{Id}' removed", EventName = "netdev_removed")]
    public static partial void Removed(this ILogger log, string id);

    [LoggerMessage(4002, LogLevel.Information, "Netdev '{Id}' link {State}", EventName = "netdev_link_changed")]
    public static partial void LinkChanged(this ILogger log, string id, string state);

    [LoggerMessage(4003, LogLevel.Information, "Netdev '{Id}' connected to {Peer}", EventName = "netdev_stream_connected")]
    public static partial void StreamConnected(this ILogger log, string id, string peer);

    [LoggerMessage(4004, LogLevel.Information, "Netdev '{Id}' disconnected from {Peer}: {Reason}", EventName = "netdev_stream_disconnected")]
    public static partial void StreamDisconnected(this ILogger log, string id, string peer, string reason);

    [LoggerMessage(4005, LogLevel.Warning, "Netdev '{Id}' dropped {Peer}: {Reason}", EventName = "netdev_stream_framing_lost")]
    public static partial void StreamFramingLost(this ILogger log, string id, string peer, string reason);

    [LoggerMessage(4006, LogLevel.Warning, "Netdev '{Id}' lost its VDE switch: {Reason}", EventName = "netdev_vde_switch_gone")]
    public static partial void VdeSwitchGone(this ILogger log, string id, string reason);

    [LoggerMessage(4007, LogLevel.Warning, "Netdev '{Id}' lost its interface {Interface}: {Reason}", EventName = "netdev_tap_interface_gone")]
    public static partial void TapInterfaceGone(this ILogger log, string id, string @interface, string reason);
}
