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
}
