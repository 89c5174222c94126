namespace ExportPS.Engine.Model;

/// <summary>nbd-server-start.</summary>
public sealed record NbdServerOptions
{
    public SocketAddressOptions Address { get; init; } = new();

    /// <summary>Id of a TLS credentials object; null serves plain NBD.</summary>
    public string? TlsCreds { get; init; }

    /// <summary>Id of an authorization object, resolved at connection time.</summary>
    public string? TlsAuthz { get; init; }

    /// <summary>0 = unlimited. 1 also stops advertising multi-conn.</summary>
    public uint MaxConnections { get; init; }
}
