namespace ExportPS.Engine.Model;

/// <summary>A TLS credentials object, described with plain values only.</summary>
public sealed record TlsCredsInfo
{
    public required string Id { get; init; }

    public required TlsCredsType Type { get; init; }

    public required TlsCredsEndpoint Endpoint { get; init; }

    /// <summary>The directory the files were loaded from; null for in-process certificates.</summary>
    public string? Dir { get; init; }

    public required bool VerifyPeer { get; init; }

    /// <summary>The own certificate's subject in QEMU's distinguished name format; null for a client without a certificate.</summary>
    public string? Subject { get; init; }

    public string? Issuer { get; init; }

    public string? Thumbprint { get; init; }

    public DateTime? NotAfter { get; init; }

    /// <summary>Subjects of the trusted CA certificates.</summary>
    public string[] CaSubjects { get; init; } = [];

    /// <summary>True while the NBD server uses these credentials (object-del is refused then).</summary>
    public bool InUse { get; init; }
}
