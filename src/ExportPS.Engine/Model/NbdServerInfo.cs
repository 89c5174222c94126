namespace ExportPS.Engine.Model;

/// <summary>The state of the engine's NBD server (there is at most one, as in QEMU).</summary>
public sealed record NbdServerInfo
{
    public required bool Running { get; init; }

    /// <summary>Where it listens, e.g. "127.0.0.1:10809" or "unix:/run/nbd.sock"; null when stopped.</summary>
    public string? Endpoint { get; init; }

    /// <summary>The TCP port actually bound (useful with port 0); 0 for unix sockets or when stopped.</summary>
    public int Port { get; init; }

    public uint MaxConnections { get; init; }

    public string? TlsCreds { get; init; }

    public string? TlsAuthz { get; init; }

    public int Connections { get; init; }

    public int Exports { get; init; }

    /// <summary>Client connections dropped on an error since the server started (see <see cref="NbdClientError"/>).</summary>
    public long ClientErrors { get; init; }

    /// <summary>
    /// The most recent of them, for a first look at why a client was turned away ("time client: message", see
    /// <see cref="NbdClientError.ToString"/>); null when there was none. A string, so it survives remoting as it is.
    /// </summary>
    public string? LastClientError { get; init; }

    /// <summary>The latest client errors (at most 20), oldest first: when, which client, what happened.</summary>
    public NbdClientError[] RecentClientErrors { get; init; } = [];
}
