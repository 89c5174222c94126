using Microsoft.Extensions.Logging;

namespace ExportPS.Host.Logging;

/// <summary>The host process's own events (ids 6000-6099, names host_*).</summary>
internal static partial class HostLog
{
    public const string Category = "ExportPS.Host";

    [LoggerMessage(6000, LogLevel.Debug, "Quiet after {WorkMiB} MiB allocated: memory given back, resident {ResidentBeforeMiB} -> {ResidentAfterMiB} MiB, GC heap committed {CommittedBeforeMiB} -> {CommittedAfterMiB} MiB", EventName = "host_memory_trimmed")]
    public static partial void MemoryTrimmed(this ILogger log, long workMiB, long residentBeforeMiB, long residentAfterMiB, long committedBeforeMiB, long committedAfterMiB);
}
