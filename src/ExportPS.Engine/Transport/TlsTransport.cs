using System.Net.Security;
using ExportPS.Engine.Tls;

namespace ExportPS.Engine.Transport;

/// <summary>
/// A TLS session over a plain transport (NBD_OPT_STARTTLS and the like): records go through the SslStream, a hard
/// disconnect goes to the plain transport below, which this wrapper owns from the upgrade on.
/// </summary>
internal sealed class TlsTransport : StreamTransport
{
    private readonly SslStream _ssl;
    private readonly StreamTransport _plain;

    private TlsTransport(SslStream ssl, StreamTransport plain)
    {
        _ssl = ssl;
        _plain = plain;
    }

    /// <summary>
    /// Runs the server side of the TLS handshake on <paramref name="plain"/>. Failures are the <see cref="TlsServer"/>'s
    /// <see cref="Errors.EngineException"/>s; the plain transport stays the caller's to dispose.
    /// </summary>
    public static async Task<TlsTransport> AcceptAsync(StreamTransport plain, TlsServer server, CancellationToken cancellationToken)
    {
        var session = await server.AcceptAsync(new TransportStream(plain), cancellationToken);
        return new TlsTransport(session.Stream, plain);
    }

    /// <summary>
    /// Runs the client side of the TLS handshake on <paramref name="plain"/> (see <see cref="TlsClient"/>); the plain
    /// transport stays the caller's to dispose when it fails.
    /// </summary>
    public static async Task<TlsTransport> ConnectAsync(StreamTransport plain, TlsCredentials credentials, string? hostname, CancellationToken cancellationToken)
    {
        var ssl = await TlsClient.ConnectAsync(new TransportStream(plain), credentials, hostname, cancellationToken);
        return new TlsTransport(ssl, plain);
    }

    public override ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _ssl.ReadAsync(buffer, cancellationToken);

    public override ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        _ssl.WriteAsync(data, cancellationToken);

    public override void Abort() => _plain.Abort();

    public override void Dispose()
    {
        _ssl.Dispose();
        _plain.Dispose();
    }
}
