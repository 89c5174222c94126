using ExportPS.Engine.Model;

namespace ExportPS.Engine.Configuration;

/// <summary>
/// The NBD server (nbd-server-start). The engine cannot change a running server, so any difference restarts it, which
/// closes its exports: the plan removes and re-adds them explicitly.
/// </summary>
public sealed record NbdServerConfiguration
{
    public ConfigurationEnsure Ensure { get; init; }

    /// <summary>Port 0 means any port: a server listening on the same host matches whatever port it got.</summary>
    public SocketAddressOptions Address { get; init; } = new();

    public uint MaxConnections { get; init; }

    public string? TlsCreds { get; init; }

    public string? TlsAuthz { get; init; }

    public NbdServerOptions ToOptions() => new()
    {
        Address = Address,
        MaxConnections = MaxConnections,
        TlsCreds = TlsCreds,
        TlsAuthz = TlsAuthz,
    };
}
