using System.Security.Cryptography.X509Certificates;

namespace ExportPS.Engine.Model;

/// <summary>QEMU's TLS credential object types.</summary>
public enum TlsCredsType
{
    /// <summary>tls-creds-x509: certificates.</summary>
    X509,

    /// <summary>tls-creds-psk: pre-shared keys. Refused: .NET's SslStream has no PSK cipher suites.</summary>
    Psk,
}

/// <summary>QCryptoTLSCredsEndpoint: which side of a TLS session the credentials are for.</summary>
public enum TlsCredsEndpoint
{
    Server,
    Client,
}

/// <summary>
/// object-add qom-type=tls-creds-x509: the certificates either from a directory in QEMU's layout or, in-process only,
/// as X509Certificate2 objects (which cannot cross a QMP connection).
/// </summary>
public sealed record TlsCredsOptions
{
    public TlsCredsType Type { get; init; } = TlsCredsType.X509;

    public required string Id { get; init; }

    public TlsCredsEndpoint Endpoint { get; init; } = TlsCredsEndpoint.Server;

    /// <summary>
    /// Directory with ca-cert.pem plus server-cert.pem and server-key.pem (server endpoint), or optionally
    /// client-cert.pem and client-key.pem (client endpoint). Exclusive with <see cref="Certificate"/>.
    /// </summary>
    public string? Dir { get; init; }

    /// <summary>Whether the peer must present a certificate that chains to the CA certificates (QEMU's verify-peer).</summary>
    public bool VerifyPeer { get; init; } = true;

    /// <summary>Instead of <see cref="Dir"/>: the own certificate, with its private key.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>With <see cref="Certificate"/>: the CA certificates peer certificates must chain to (needed for verify-peer).</summary>
    public X509Certificate2[] CaCertificates { get; init; } = [];

    /// <summary>Psk only: the username (QEMU's username property).</summary>
    public string? Username { get; init; }
}
