using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Tls;
using Xunit;

namespace ExportPS.Engine.Tests.Tls;

/// <summary>The TLS session logic against a .NET SslStream client over a loopback socket pair.</summary>
public sealed class TlsServerTests : IDisposable
{
    private const string ClientDn = "C=GB,O=ExportPS Test,CN=client.example.com";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly TestPki _pki = new();
    private readonly ExportEngine _engine = new();
    private readonly X509Certificate2 _ca = TestPki.CreateCa("Test CA");

    public TlsServerTests()
    {
        _engine.AddTlsCreds(new TlsCredsOptions { Id = "tls0", Dir = _pki.ServerDir(_ca, TestPki.Server(_ca)) });
    }

    public void Dispose()
    {
        _engine.Dispose();
        _pki.Dispose();
    }

    private TlsServer Server(string? authzId, string credsId = "tls0") =>
        new(_engine.Objects.GetTlsCredentials(credsId), authzId, _engine.Objects.FindAuthz);

    private void AllowOnly(string id, params string[] globs) => _engine.AddAuthz(new AuthzOptions
    {
        Id = id,
        Policy = AuthzPolicy.Deny,
        Rules = globs.Select(g => new AuthzListRule { Match = g, Policy = AuthzPolicy.Allow, Format = AuthzListFormat.Glob }).ToArray(),
    });

    /// <summary>Runs one handshake: the server's outcome (session or exception) and the client's (null = it could talk).</summary>
    private async Task<(TlsSession? Session, EngineException? ServerError, Exception? ClientError)> Handshake(
        TlsServer server, X509Certificate2? clientCertificate, SslProtocols protocols = SslProtocols.None)
    {
        using var cts = new CancellationTokenSource(Timeout);
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var clientSocket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await clientSocket.ConnectAsync(listener.LocalEndPoint!, cts.Token);
        var serverSocket = await listener.AcceptAsync(cts.Token);

        var serverTask = Task.Run(async () =>
        {
            try
            {
                var session = await server.AcceptAsync(new NetworkStream(serverSocket, ownsSocket: true), cts.Token);
                // Echo one line so the client proves the channel works after the checks.
                byte[] buffer = new byte[5];
                await session.Stream.ReadExactlyAsync(buffer, cts.Token);
                await session.Stream.WriteAsync(buffer, cts.Token);
                return ((TlsSession?)session, (EngineException?)null);
            }
            catch (EngineException e)
            {
                return ((TlsSession?)null, (EngineException?)e);
            }
        });

        Exception? clientError = null;
        await using var ssl = new SslStream(new NetworkStream(clientSocket, ownsSocket: false));
        try
        {
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                EnabledSslProtocols = protocols,
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is X509Certificate2 c && c.Issuer == _ca.Subject,
            }, cts.Token);
            await ssl.WriteAsync("hello"u8.ToArray(), cts.Token);
            byte[] echo = new byte[5];
            await ssl.ReadExactlyAsync(echo, cts.Token);
            Assert.Equal("hello"u8.ToArray(), echo);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or EndOfStreamException)
        {
            clientError = e;
        }

        var (sessionResult, serverError) = await serverTask.WaitAsync(cts.Token);
        return (sessionResult, serverError, clientError);
    }

    [Fact]
    public async Task AllowedClientGetsASessionWithItsDistinguishedName()
    {
        AllowOnly("auth0", "*CN=client.example.com");
        var (session, serverError, clientError) = await Handshake(Server("auth0"), TestPki.Client(_ca));

        Assert.Null(serverError);
        Assert.Null(clientError);
        Assert.Equal(ClientDn, session!.PeerName);
        Assert.True(session.Stream.IsAuthenticated);
        Assert.True(session.Stream.IsMutuallyAuthenticated);
        await session.Stream.DisposeAsync();
    }

    [Fact]
    public async Task Tls12ClientsAreServedToo()
    {
        var (session, serverError, clientError) = await Handshake(Server(null), TestPki.Client(_ca), SslProtocols.Tls12);
        Assert.Null(serverError);
        Assert.Null(clientError);
        Assert.Equal(SslProtocols.Tls12, session!.Stream.SslProtocol);
        await session.Stream.DisposeAsync();
    }

    [Fact]
    public async Task DeniedDistinguishedNameIsRefusedWithQemusMessage()
    {
        AllowOnly("auth0", "*CN=someone-else");
        var (session, serverError, clientError) = await Handshake(Server("auth0"), TestPki.Client(_ca));

        Assert.Null(session);
        Assert.Equal(ErrorIds.TlsAuthzDenied, serverError!.ErrorId);
        Assert.Equal($"TLS x509 authz check for {ClientDn} is denied", serverError.Message);
        Assert.NotNull(clientError);
    }

    [Fact]
    public async Task ClientCertificateFromAnotherCaIsRefused()
    {
        var otherCa = TestPki.CreateCa("Other CA");
        var (session, serverError, clientError) = await Handshake(Server(null), TestPki.Client(otherCa));

        Assert.Null(session);
        Assert.Equal(ErrorIds.TlsHandshakeFailed, serverError!.ErrorId);
        Assert.Equal("The certificate hasn't got a known issuer", serverError.Message);
        Assert.NotNull(clientError);
    }

    [Fact]
    public async Task NoClientCertificateWithVerifyPeerIsRefused()
    {
        var (session, serverError, clientError) = await Handshake(Server(null), clientCertificate: null);

        Assert.Null(session);
        Assert.Equal("Verify failed: No certificate was found.", serverError!.Message);
        Assert.NotNull(clientError);
    }

    [Fact]
    public async Task WithoutVerifyPeerNoClientCertificateIsNeeded()
    {
        _engine.AddTlsCreds(new TlsCredsOptions { Id = "open", Dir = _pki.ServerDir(_ca, TestPki.Server(_ca), "open"), VerifyPeer = false });
        var (session, serverError, clientError) = await Handshake(Server(null, "open"), clientCertificate: null);

        Assert.Null(serverError);
        Assert.Null(clientError);
        Assert.Null(session!.PeerName);
        await session.Stream.DisposeAsync();
    }

    [Fact]
    public async Task MissingAuthzDeniesAndAReplacedAuthzTakesEffectAtTheNextConnection()
    {
        var server = Server("auth0");
        var (_, serverError, _) = await Handshake(server, TestPki.Client(_ca));
        Assert.Equal(ErrorIds.TlsAuthzDenied, serverError!.ErrorId);
        Assert.Equal("Cannot find QAuthZ object ID auth0", serverError.Message);

        _engine.AddAuthz(new AuthzOptions { Id = "auth0", Type = AuthzType.Simple, Identity = "C=GB,O=ExportPS Test,CN=other" });
        (_, serverError, _) = await Handshake(server, TestPki.Client(_ca));
        Assert.Equal($"TLS x509 authz check for {ClientDn} is denied", serverError!.Message);

        _engine.RemoveObject("auth0");
        _engine.AddAuthz(new AuthzOptions { Id = "auth0", Type = AuthzType.Simple, Identity = ClientDn });
        var (session, error, clientError) = await Handshake(server, TestPki.Client(_ca));
        Assert.Null(error);
        Assert.Null(clientError);
        Assert.Equal(ClientDn, session!.PeerName);
        await session.Stream.DisposeAsync();
    }
}
