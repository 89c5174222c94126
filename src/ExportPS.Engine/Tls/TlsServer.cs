using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using ExportPS.Engine.Errors;

namespace ExportPS.Engine.Tls;

/// <summary>
/// The server side of a TLS upgrade such as NBD_OPT_STARTTLS, independent of the protocol around it: the handshake with
/// the credentials (TLS 1.2 or 1.3), then QEMU's checks when verify-peer is on: the client certificate must chain to the
/// CA certificates of the credentials alone, and its DN must be allowed by the authz object looked up by id at this
/// moment, so replacing the authz takes effect with the next connection. A missing authz denies.
/// </summary>
internal sealed class TlsServer
{
    private readonly Func<string, Authz?> _findAuthz;

    public TlsServer(TlsCredentials credentials, string? authzId, Func<string, Authz?> findAuthz)
    {
        Credentials = credentials.ServerContext is not null
            ? credentials
            : throw new ArgumentException("Server TLS needs credentials with a server endpoint", nameof(credentials));
        AuthzId = authzId;
        _findAuthz = findAuthz;
    }

    public TlsCredentials Credentials { get; }

    public string? AuthzId { get; }

    /// <summary>
    /// Runs the handshake on <paramref name="transport"/> (which the session then owns). Throws <see cref="EngineException"/>
    /// (TlsHandshakeFailed or TlsAuthzDenied, with QEMU's reason) after disposing the transport; the client has been
    /// sent a TLS alert where the failure allowed one.
    /// </summary>
    public async Task<TlsSession> AcceptAsync(Stream transport, CancellationToken cancellationToken)
    {
        EngineException? rejection = null;
        string? peerName = null;
        var ssl = new SslStream(transport, leaveInnerStreamOpen: false);
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = Credentials.ServerContext,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ClientCertificateRequired = Credentials.VerifyPeer,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
            {
                rejection = CheckClient(certificate, chain, out peerName);
                return rejection is null;
            },
        };

        try
        {
            await ssl.AuthenticateAsServerAsync(options, cancellationToken).ConfigureAwait(false);
            return new TlsSession(ssl, peerName);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw rejection ?? new EngineException(ErrorIds.TlsHandshakeFailed,
                e is OperationCanceledException ? EngineErrorCategory.Timeout : EngineErrorCategory.IoError,
                $"TLS handshake failed: {e.Message}", e);
        }
    }

    /// <summary>QEMU's qcrypto_tls_session_check_certificate: null when the client may proceed.</summary>
    private EngineException? CheckClient(X509Certificate? certificate, X509Chain? chain, out string? peerName)
    {
        peerName = null;
        if (!Credentials.VerifyPeer)
        {
            return null;
        }

        if (certificate is null)
        {
            return Failed("Verify failed: No certificate was found.");
        }

        // SslStream normally hands over an X509Certificate2; a copy made here is ours to dispose.
        using var copy = certificate is X509Certificate2 ? null : new X509Certificate2(certificate);
        var client = copy ?? (X509Certificate2)certificate;
        if (Credentials.ValidateChain(client, chain?.ChainPolicy.ExtraStore) is { } reason)
        {
            return Failed(reason);
        }

        try
        {
            peerName = QemuDistinguishedName.Format(client.SubjectName);
        }
        catch (FormatException e)
        {
            return Failed($"Cannot get client distinguished name: {e.Message}");
        }

        if (AuthzId is null)
        {
            return null;
        }

        var authz = _findAuthz(AuthzId);
        if (authz is null)
        {
            return Denied($"Cannot find QAuthZ object ID {AuthzId}");
        }

        return authz.IsAllowed(peerName) ? null : Denied($"TLS x509 authz check for {peerName} is denied");
    }

    private static EngineException Failed(string message) =>
        new(ErrorIds.TlsHandshakeFailed, EngineErrorCategory.PermissionDenied, message);

    private EngineException Denied(string message) =>
        new(ErrorIds.TlsAuthzDenied, EngineErrorCategory.PermissionDenied, message) { Target = AuthzId };
}
