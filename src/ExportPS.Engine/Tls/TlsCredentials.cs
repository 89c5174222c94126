using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Objects;

namespace ExportPS.Engine.Tls;

/// <summary>
/// Loaded tls-creds-x509: the own certificate with its key (and the rest of its chain), the CA certificates peers must
/// chain to, and verify-peer. Loading applies QEMU's sanity checks, so a broken directory fails at object creation
/// rather than at the first client.
/// </summary>
internal sealed class TlsCredentials : IUserCreatable, IDisposable
{
    public const string CaCertFile = "ca-cert.pem";
    public const string CaCrlFile = "ca-crl.pem";
    public const string ServerCertFile = "server-cert.pem";
    public const string ServerKeyFile = "server-key.pem";
    public const string ClientCertFile = "client-cert.pem";
    public const string ClientKeyFile = "client-key.pem";

    private readonly X509Certificate2Collection _intermediates;
    private int _users;

    private TlsCredentials(TlsCredsOptions options, X509Certificate2? certificate, X509Certificate2Collection intermediates, X509Certificate2Collection caCertificates)
    {
        Options = options;
        Certificate = certificate;
        _intermediates = intermediates;
        CaCertificates = caCertificates;
        if (options.Endpoint == TlsCredsEndpoint.Server && certificate is not null)
        {
            // offline: the chain comes from the files only; there is no network to fetch intermediates from.
            ServerContext = SslStreamCertificateContext.Create(certificate, intermediates, offline: true);
        }
    }

    public TlsCredsOptions Options { get; }

    /// <summary>The running NBD server that uses them, if any: credentials in use cannot be deleted.</summary>
    public bool InUse => Volatile.Read(ref _users) > 0;

    public string Id => Options.Id;

    public TlsCredsEndpoint Endpoint => Options.Endpoint;

    public bool VerifyPeer => Options.VerifyPeer;

    /// <summary>The own certificate; null only for a client endpoint without one.</summary>
    public X509Certificate2? Certificate { get; }

    public X509Certificate2Collection CaCertificates { get; }

    /// <summary>What a server presents in the handshake; null for client credentials.</summary>
    public SslStreamCertificateContext? ServerContext { get; }

    public static TlsCredentials Load(TlsCredsOptions options)
    {
        if (options.Type == TlsCredsType.Psk)
        {
            throw new EngineException(ErrorIds.TlsCredsNotSupported, EngineErrorCategory.NotSupported,
                "TLS-PSK credentials (tls-creds-psk) are not supported: .NET's SslStream offers no pre-shared-key cipher suites; use tls-creds-x509 certificates instead")
            { Target = options.Id };
        }

        if (options.Dir is not null && options.Certificate is not null)
        {
            throw Invalid(options.Id, "Give either a credentials directory or a certificate, not both");
        }

        return options.Certificate is not null ? FromCertificates(options) : FromDirectory(options);
    }

    private static TlsCredentials FromDirectory(TlsCredsOptions options)
    {
        if (string.IsNullOrEmpty(options.Dir))
        {
            throw Invalid(options.Id, "Missing 'dir' property value");
        }

        bool server = options.Endpoint == TlsCredsEndpoint.Server;
        string caFile = RequireFile(options, CaCertFile);
        if (File.Exists(Path.Combine(options.Dir, CaCrlFile)))
        {
            // Ignoring a revocation list would admit revoked clients; refusing is the safe answer.
            throw new EngineException(ErrorIds.TlsCredsNotSupported, EngineErrorCategory.NotSupported,
                $"Certificate revocation lists ({Path.Combine(options.Dir, CaCrlFile)}) are not supported; remove the file or revoke by replacing the CA")
            { Target = options.Id };
        }

        string? certFile = server ? RequireFile(options, ServerCertFile) : OptionalFile(options, ClientCertFile);
        string? keyFile = server ? RequireFile(options, ServerKeyFile) : OptionalFile(options, ClientKeyFile);

        var caCertificates = new X509Certificate2Collection();
        try
        {
            caCertificates.ImportFromPemFile(caFile);
        }
        catch (CryptographicException)
        {
            caCertificates.Clear();
        }

        if (caCertificates.Count == 0)
        {
            throw LoadFailed(options.Id, $"Unable to import CA certificate list {caFile}");
        }

        X509Certificate2? certificate = null;
        var intermediates = new X509Certificate2Collection();
        if (certFile is not null && keyFile is not null)
        {
            try
            {
                certificate = X509Certificate2.CreateFromPemFile(certFile, keyFile);
                // The rest of server-cert.pem, if any, is the chain to send along.
                intermediates.ImportFromPemFile(certFile);
                intermediates[0].Dispose();
                intermediates.RemoveAt(0);
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException)
            {
                throw LoadFailed(options.Id, $"Cannot load certificate '{certFile}' & key '{keyFile}': {e.Message}", e);
            }
        }

        return Checked(new TlsCredentials(options, certificate, intermediates, caCertificates), caFile, certFile);
    }

    private static TlsCredentials FromCertificates(TlsCredsOptions options)
    {
        var certificate = options.Certificate!;
        if (!certificate.HasPrivateKey)
        {
            throw Invalid(options.Id, $"The certificate '{certificate.Subject}' has no private key");
        }

        var caCertificates = new X509Certificate2Collection(options.CaCertificates ?? []);
        if (options.VerifyPeer && caCertificates.Count == 0)
        {
            throw Invalid(options.Id, "verify-peer needs the CA certificates that peer certificates must chain to; give CaCertificates or turn VerifyPeer off");
        }

        return Checked(new TlsCredentials(options, certificate, [], caCertificates), "the CA certificates", $"'{certificate.Subject}'");
    }

    private static TlsCredentials Checked(TlsCredentials credentials, string caLabel, string? certLabel)
    {
        try
        {
            credentials.SanityCheck(caLabel, certLabel);
            return credentials;
        }
        catch
        {
            credentials.Dispose();
            throw;
        }
    }

    /// <summary>QEMU's checks at load time: validity periods, basic constraints, and that the own certificate chains to the CA.</summary>
    private void SanityCheck(string caLabel, string? certLabel)
    {
        foreach (var ca in CaCertificates)
        {
            CheckTimes(ca, caLabel, "CA");
            var constraints = ca.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
            if (constraints is null)
            {
                throw LoadFailed(Id, $"The certificate {caLabel} is missing basic constraints for a CA");
            }

            if (!constraints.CertificateAuthority)
            {
                throw LoadFailed(Id, $"The certificate {caLabel} basic constraints do not show a CA");
            }
        }

        if (Certificate is null || certLabel is null)
        {
            return;
        }

        string role = Endpoint == TlsCredsEndpoint.Server ? "server" : "client";
        CheckTimes(Certificate, certLabel, role);
        if (Certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(c => c.CertificateAuthority))
        {
            throw LoadFailed(Id, $"The certificate {certLabel} basic constraints show a CA, but we need one for a {role}");
        }

        if (CaCertificates.Count > 0 && ValidateChain(Certificate, _intermediates) is { } reason)
        {
            throw LoadFailed(Id, $"Our own certificate {certLabel} failed validation against {caLabel}: {reason}");
        }
    }

    private void CheckTimes(X509Certificate2 certificate, string label, string role)
    {
        var now = DateTime.Now;
        if (certificate.NotAfter < now)
        {
            throw LoadFailed(Id, $"The {role} certificate {label} has expired");
        }

        if (certificate.NotBefore > now)
        {
            throw LoadFailed(Id, $"The {role} certificate {label} is not yet active");
        }
    }

    /// <summary>
    /// Checks that <paramref name="certificate"/> chains to one of the CA certificates and to nothing else (the system
    /// store is not consulted); no revocation lookups, since there is no network. Null when valid, else QEMU's reason.
    /// </summary>
    public string? ValidateChain(X509Certificate2 certificate, X509Certificate2Collection? peerIntermediates)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(CaCertificates);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (peerIntermediates is not null)
        {
            chain.ChainPolicy.ExtraStore.AddRange(peerIntermediates);
        }

        if (chain.Build(certificate))
        {
            return null;
        }

        var status = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
        if (status.HasFlag(X509ChainStatusFlags.NotTimeValid))
        {
            return certificate.NotAfter < DateTime.Now ? "The certificate has expired" : "The certificate is not yet activated";
        }

        if ((status & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0)
        {
            return "The certificate hasn't got a known issuer";
        }

        if (status.HasFlag(X509ChainStatusFlags.Revoked))
        {
            return "The certificate has been revoked";
        }

        return status.HasFlag(X509ChainStatusFlags.NotSignatureValid)
            ? "The certificate is not trusted"
            : $"Invalid certificate: {string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()))}";
    }

    public void AddUser() => Interlocked.Increment(ref _users);

    public void RemoveUser() => Interlocked.Decrement(ref _users);

    public TlsCredsInfo ToInfo() => new()
    {
        Id = Id,
        Type = Options.Type,
        Endpoint = Endpoint,
        Dir = Options.Certificate is null ? Options.Dir : null,
        VerifyPeer = VerifyPeer,
        Subject = Certificate is null ? null : Describe(Certificate.SubjectName),
        Issuer = Certificate is null ? null : Describe(Certificate.IssuerName),
        Thumbprint = Certificate?.Thumbprint,
        NotAfter = Certificate?.NotAfter.ToUniversalTime(),
        CaSubjects = CaCertificates.Select(c => Describe(c.SubjectName)).ToArray(),
        InUse = InUse,
    };

    /// <summary>QEMU's DN text; .NET's where QEMU would have none (an empty subject).</summary>
    private static string Describe(X500DistinguishedName name)
    {
        try
        {
            return QemuDistinguishedName.Format(name);
        }
        catch (FormatException)
        {
            return name.Name;
        }
    }

    public void Dispose()
    {
        // Certificates handed in by the caller stay the caller's; only what was loaded here is disposed.
        if (Options.Certificate is null)
        {
            Certificate?.Dispose();
            foreach (var certificate in CaCertificates.Concat(_intermediates))
            {
                certificate.Dispose();
            }
        }
    }

    private static string RequireFile(TlsCredsOptions options, string name)
    {
        string path = Path.Combine(options.Dir!, name);
        try
        {
            using var _ = File.OpenRead(path);
            return path;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw LoadFailed(options.Id, $"Unable to access credentials {path}: No such file or directory", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw LoadFailed(options.Id, $"Unable to access credentials {path}: Permission denied", e);
        }
        catch (IOException e)
        {
            throw LoadFailed(options.Id, $"Unable to access credentials {path}: {e.Message}", e);
        }
    }

    private static string? OptionalFile(TlsCredsOptions options, string name)
    {
        string path = Path.Combine(options.Dir!, name);
        return File.Exists(path) ? RequireFile(options, name) : null;
    }

    private static EngineException Invalid(string id, string message) =>
        new(ErrorIds.InvalidTlsCreds, EngineErrorCategory.InvalidArgument, message) { Target = id };

    private static EngineException LoadFailed(string id, string message, Exception? inner = null) =>
        new(ErrorIds.TlsCredsLoadFailed, EngineErrorCategory.InvalidArgument, message, inner) { Target = id };
}
