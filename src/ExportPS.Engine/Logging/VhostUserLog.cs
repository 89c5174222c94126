using Microsoft.Extensions.Logging;

namespace ExportPS.Engine.Logging;

/// <summary>
/// vhost-user back-ends (ids 5000-5099, names vhost_user_*): front-ends connecting, leaving, breaking the protocol,
/// turned away, and disconnected by the back-end when its export or netdev goes.
/// </summary>
internal static partial class VhostUserLog
{
    public const string Category = "ExportPS.VhostUser";

    [LoggerMessage(5000, LogLevel.Information, "{Name}: front-end connected", EventName = "vhost_user_connected")]
    public static partial void Connected(this ILogger log, string name);

    [LoggerMessage(5001, LogLevel.Information, "{Name}: front-end disconnected", EventName = "vhost_user_disconnected")]
    public static partial void Disconnected(this ILogger log, string name);

    [LoggerMessage(5002, LogLevel.Warning, "{Name}: front-end dropped: {Reason}", EventName = "vhost_user_protocol_error")]
    public static partial void ProtocolError(this ILogger log, string name, string reason);

    [LoggerMessage(5003, LogLevel.Information, "{Name}: a front-end was turned away (the export is shutting down)", EventName = "vhost_user_busy")]
    public static partial void Busy(this ILogger log, string name);

    [LoggerMessage(5004, LogLevel.Information, "{Name}: front-end disconnected by the back-end: {Reason}", EventName = "vhost_user_aborted")]
    public static partial void Aborted(this ILogger log, string name, string reason);

    [LoggerMessage(5005, LogLevel.Warning, "{Name}: {Count} requests were still running when the session of the front-end that left was retired (after at most {Seconds} s) and were abandoned", EventName = "vhost_user_requests_abandoned")]
    public static partial void RequestsAbandoned(this ILogger log, string name, int count, double seconds);
}
