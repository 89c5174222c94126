using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using ExportPS.Engine.Errors;

namespace ExportPS.Engine.Tls;

/// <summary>
/// The client side of a TLS upgrade such as NBD_OPT_STARTTLS, as QEMU's client checks it: with verify-peer on (QEMU's
/// default for client credentials), the server certificate must chain to the CA certificates of the credentials alone
/// and, when a hostname is known, name that host. The client presents its own certificate when the credentials have one.
/// </summary>
internal static class TlsClient
{
    /// <summary>
    /// Runs the handshake on <paramref name="transport"/> (which the returned stream then owns). Throws
    /// <see cref="EngineException"/> TlsHandshakeFailed with QEMU's reason after disposing the stream.
    /// </summary>
    public static async Task<SslStream> ConnectAsync(Stream transport, TlsCredentials credentials, string? hostname, CancellationToken cancellationToken)
    {
        string? rejection = null;
        var ssl = new SslStream(transport, leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = hostname ?? string.Empty,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            ClientCertificates = credentials.Certificate is { } own ? [own] : null,
            RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
            {
                rejection = CheckServer(credentials, certificate, chain, hostname);
                return rejection is null;
            },
        };

        try
        {
            await ssl.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new EngineException(ErrorIds.TlsHandshakeFailed,
                e is OperationCanceledException ? EngineErrorCategory.Timeout : EngineErrorCategory.IoError,
                rejection ?? $"TLS handshake failed: {e.Message}", e);
        }
    }

    /// <summary>QEMU's qcrypto_tls_session_check_certificate for the client: null when the server may be trusted.</summary>
    private static string? CheckServer(TlsCredentials credentials, X509Certificate? certificate, X509Chain? chain, string? hostname)
    {
        if (!credentials.VerifyPeer)
        {
            return null;
        }

        if (certificate is not X509Certificate2 server)
        {
            return "Verify failed: No certificate was found.";
        }

        if (credentials.ValidateChain(server, chain?.ChainPolicy.ExtraStore) is { } reason)
        {
            return reason;
        }

        return hostname is not null && !server.MatchesHostname(hostname)
            ? $"Certificate does not match the hostname {hostname}"
            : null;
    }
}
