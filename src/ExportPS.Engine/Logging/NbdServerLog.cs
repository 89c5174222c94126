using Microsoft.Extensions.Logging;

namespace ExportPS.Engine.Logging;

/// <summary>
/// The NBD server's events (ids 1000-1099, names nbd_*): the server starting and stopping, each client's connection,
/// the options it was refused and why, and the connections dropped on an error.
/// </summary>
internal static partial class NbdServerLog
{
    public const string Category = "ExportPS.Nbd";

    [LoggerMessage(1000, LogLevel.Information, "NBD server listening on {Endpoint} (tls-creds: {TlsCreds}, max-connections: {MaxConnections})", EventName = "nbd_server_started")]
    public static partial void ServerStarted(this ILogger log, string endpoint, string tlsCreds, uint maxConnections);

    [LoggerMessage(1001, LogLevel.Information, "NBD server on {Endpoint} stopped", EventName = "nbd_server_stopped")]
    public static partial void ServerStopped(this ILogger log, string endpoint);

    [LoggerMessage(1002, LogLevel.Debug, "NBD client {Peer} connected", EventName = "nbd_client_accepted")]
    public static partial void ClientAccepted(this ILogger log, string peer);

    [LoggerMessage(1003, LogLevel.Information, "NBD client {Peer} attached to export '{Export}' ({Mode} replies, TLS {Tls})", EventName = "nbd_client_attached")]
    public static partial void ClientAttached(this ILogger log, string peer, string export, string mode, string tls);

    [LoggerMessage(1004, LogLevel.Information, "NBD client {Peer} closed (export '{Export}', {Requests} requests, {BytesRead} bytes read, {BytesWritten} bytes written)", EventName = "nbd_client_closed")]
    public static partial void ClientClosed(this ILogger log, string peer, string export, long requests, long bytesRead, long bytesWritten);

    [LoggerMessage(1005, LogLevel.Information, "NBD server reached max-connections ({MaxConnections}): further clients wait until one leaves", EventName = "nbd_max_connections")]
    public static partial void MaxConnectionsReached(this ILogger log, uint maxConnections);

    [LoggerMessage(1010, LogLevel.Information, "NBD client {Peer}: TLS handshake failed: {Reason}", EventName = "nbd_tls_handshake_failed")]
    public static partial void TlsHandshakeFailed(this ILogger log, string peer, string reason);

    [LoggerMessage(1011, LogLevel.Information, "NBD client {Peer} sent option {Option} before NBD_OPT_STARTTLS: refused, TLS is required", EventName = "nbd_tls_required")]
    public static partial void TlsRequired(this ILogger log, string peer, uint option);

    [LoggerMessage(1012, LogLevel.Information, "NBD client {Peer} refused option {Option}: {Reason}", EventName = "nbd_option_refused")]
    public static partial void OptionRefused(this ILogger log, string peer, uint option, string reason);

    [LoggerMessage(1013, LogLevel.Information, "NBD client {Peer} asked for unknown export: {Reason}", EventName = "nbd_export_unknown")]
    public static partial void ExportUnknown(this ILogger log, string peer, string reason);

    [LoggerMessage(1014, LogLevel.Debug, "NBD client {Peer} negotiated TLS", EventName = "nbd_tls_established")]
    public static partial void TlsEstablished(this ILogger log, string peer);

    [LoggerMessage(ClientErrorId, ClientErrorLevel, "NBD client {Peer} dropped: {Reason}", EventName = ClientErrorName)]
    public static partial void ClientError(this ILogger log, string peer, string reason);

    private const int ClientErrorId = 1020;
    private const string ClientErrorName = "nbd_client_error";

    /// <summary>The level of <see cref="ClientError"/>, for a sink that asks whether it writes that event.</summary>
    public const LogLevel ClientErrorLevel = LogLevel.Warning;

    /// <summary>The id and name of <see cref="ClientError"/>, for a sink that asks whether it writes that event.</summary>
    public static readonly EventId ClientErrorEvent = new(ClientErrorId, ClientErrorName);

    [LoggerMessage(1030, LogLevel.Debug, "NBD export name '{Name}' added", EventName = "nbd_export_name_added")]
    public static partial void ExportNameAdded(this ILogger log, string name);

    [LoggerMessage(1031, LogLevel.Debug, "NBD export name '{Name}' removed", EventName = "nbd_export_name_removed")]
    public static partial void ExportNameRemoved(this ILogger log, string name);
}
