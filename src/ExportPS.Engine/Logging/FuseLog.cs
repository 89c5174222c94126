using Microsoft.Extensions.Logging;

namespace ExportPS.Engine.Logging;

/// <summary>
/// FUSE exports' mounts (ids 2100-2199, names fuse_*): mounted, unmounted by a removal, and a connection that ended
/// while the export was still meant to serve (unmounted from outside, or aborted through /sys/fs/fuse).
/// </summary>
internal static partial class FuseLog
{
    public const string Category = "ExportPS.Fuse";

    [LoggerMessage(2100, LogLevel.Information, "FUSE export '{Id}' mounted on {MountPoint} (read-only: {ReadOnly})", EventName = "fuse_mounted")]
    public static partial void Mounted(this ILogger log, string id, string mountPoint, bool readOnly);

    [LoggerMessage(2101, LogLevel.Information, "FUSE export '{Id}' unmounted from {MountPoint}", EventName = "fuse_unmounted")]
    public static partial void Unmounted(this ILogger log, string id, string mountPoint);

    [LoggerMessage(2102, LogLevel.Warning, "FUSE export '{Id}' lost its connection on {MountPoint}: unmounted from outside ExportPS, or aborted; it serves no more until removed", EventName = "fuse_connection_lost")]
    public static partial void ConnectionLost(this ILogger log, string id, string mountPoint);
}
