namespace ExportPS.Engine.Model;

/// <summary>
/// A client connection the NBD server dropped because something went wrong: a refused TLS handshake or authorization,
/// a protocol violation, a handshake that never finished, a client that vanished mid-request. Clients that say goodbye
/// (NBD_OPT_ABORT, NBD_CMD_DISC, or closing between requests) and connections the server itself ends are not errors.
/// </summary>
public sealed record NbdClientError
{
    /// <summary>When the client was dropped (UTC).</summary>
    public required DateTime Time { get; init; }

    /// <summary>The client's address ("127.0.0.1:43210"), or "unix socket" for a unix socket client.</summary>
    public required string Client { get; init; }

    public required string Message { get; init; }

    public override string ToString() => $"{Time:u} {Client}: {Message}";
}
