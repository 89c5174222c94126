using ExportPS.Engine.Tls;
using Microsoft.Extensions.Logging;

namespace ExportPS.Host.Logging;

/// <summary>
/// What the host writes to stderr: every event at <see cref="MinimumLevel"/> or above (--log-level), and every event,
/// whatever its level, whose name or category matches one of <see cref="TracePatterns"/> (--trace, QEMU's trace events).
/// </summary>
internal sealed record LogSettings(LogLevel MinimumLevel, IReadOnlyList<string> TracePatterns)
{
    /// <summary>Nothing but the host's own error lines, as qemu-storage-daemon without --trace.</summary>
    public static readonly LogSettings Default = new(LogLevel.None, []);

    /// <summary>The levels --log-level takes, by name.</summary>
    public static readonly IReadOnlyDictionary<string, LogLevel> Levels = new Dictionary<string, LogLevel>(StringComparer.Ordinal)
    {
        ["trace"] = LogLevel.Trace,
        ["debug"] = LogLevel.Debug,
        ["info"] = LogLevel.Information,
        ["warning"] = LogLevel.Warning,
        ["error"] = LogLevel.Error,
        ["none"] = LogLevel.None,
    };

    /// <summary>Whether an event of <paramref name="level"/> may be written at all (before its name is known).</summary>
    public bool MayWrite(LogLevel level) => level != LogLevel.None && (level >= MinimumLevel || TracePatterns.Count > 0);

    public bool Writes(string category, EventId eventId, LogLevel level) =>
        level != LogLevel.None && (level >= MinimumLevel || TracePatterns.Any(pattern => Traces(pattern, category, eventId)));

    private static bool Traces(string pattern, string category, EventId eventId) =>
        (eventId.Name is { } name && GlobPattern.IsMatch(pattern, name)) || GlobPattern.IsMatch(pattern, category);
}
