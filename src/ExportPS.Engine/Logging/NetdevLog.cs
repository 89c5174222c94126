using Microsoft.Extensions.Logging;

namespace ExportPS.Engine.Logging;

/// <summary>Netdevs (ids 4000-4099, names netdev_*): added, removed, link changes.</summary>
internal static partial class NetdevLog
{
    public const string Category = "ExportPS.Net";

    [LoggerMessage(4000, LogLevel.Information, "Netdev '{Id}' added ({Type})", EventName = "netdev_added")]
    public static partial void Added(this ILogger log, string id, string type);

    [LoggerMessage(4001, LogLevel.Information, "Netdev '{Id}' removed", EventName = "netdev_removed")]
    public static partial void Removed(this ILogger log, string id);

    [LoggerMessage(4002, LogLevel.Information, "Netdev '{Id}' link {State}", EventName = "netdev_link_changed")]
    public static partial void LinkChanged(this ILogger log, string id, string state);
}
