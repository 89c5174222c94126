using Microsoft.Extensions.Logging;

namespace ExportPS.Engine.Logging;

/// <summary>
/// The QMP monitors' events (ids 3000-3099, names qmp_*): clients, each command by name and id (never its arguments,
/// which may hold secrets), and the errors answered.
/// </summary>
internal static partial class QmpLog
{
    public const string Category = "ExportPS.Qmp";

    [LoggerMessage(3000, LogLevel.Debug, "QMP client connected to {Socket}", EventName = "qmp_client_connected")]
    public static partial void ClientConnected(this ILogger log, string socket);

    [LoggerMessage(3001, LogLevel.Debug, "QMP client of {Socket} disconnected", EventName = "qmp_client_disconnected")]
    public static partial void ClientDisconnected(this ILogger log, string socket);

    [LoggerMessage(3002, LogLevel.Debug, "QMP command {Command} (id {Id})", EventName = "qmp_command")]
    public static partial void Command(this ILogger log, string command, string id);

    [LoggerMessage(3003, LogLevel.Information, "QMP command {Command} (id {Id}) failed: {ErrorClass}: {Description}", EventName = "qmp_command_error")]
    public static partial void CommandError(this ILogger log, string command, string id, string errorClass, string description);

    [LoggerMessage(3004, LogLevel.Information, "QMP client asked the host to quit", EventName = "qmp_quit")]
    public static partial void Quit(this ILogger log);
}
