using Microsoft.Extensions.Logging;

namespace ExportPS.Engine.Logging;

/// <summary>FUSE exports' mounts (ids 2100-2199, names fuse_*).</summary>
internal static partial class FuseLog
{
    public const string Category = "ExportPS.Fuse";

    [LoggerMessage(2100, LogLevel.Information, "FUSE export '{Id}' mounted on {MountPoint} (read-only: {ReadOnly})", EventName = "fuse_mounted")]
    public static partial void Mounted(this ILogger log, string id, string mountPoint, bool readOnly);

    [LoggerMessage(2101, LogLevel.Information, "FUSE export '{Id}' unmounted from {MountPoint}", EventName = "fuse_unmounted")]
    public static partial void Unmounted(this ILogger log, string id, string mountPoint);
}
