using System.Security.Cryptography.X509Certificates;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Tests.Tls;

/// <summary>
/// An engine whose NBD server requires TLS (tls-creds "tls0", optionally tls-authz "auth0" allowing the globs given),
/// with one writable 16 MiB memory export "disk", on 127.0.0.1 port 0 or a unix socket in a private temp directory.
/// Client certificate directories in libnbd's/QEMU's layout come from <see cref="ClientDir"/>.
/// </summary>
internal sealed class TlsNbdServer : IDisposable
{
    public const long Size = 16L << 20;

    public TlsNbdServer(bool unix = false, string[]? allowedGlobs = null, bool tls = true)
    {
        Pki = new TestPki();
        Ca = TestPki.CreateCa("Test CA");
        Engine = new ExportEngine();
        string? authz = null;
        if (allowedGlobs is not null)
        {
            authz = "auth0";
            Engine.AddAuthz(new AuthzOptions
            {
                Id = authz,
                Rules = allowedGlobs.Select(g => new AuthzListRule { Match = g, Policy = AuthzPolicy.Allow, Format = AuthzListFormat.Glob }).ToArray(),
            });
        }

        ServerDir = Pki.ServerDir(Ca, TestPki.Server(Ca));
        if (tls)
        {
            Engine.AddTlsCreds(new TlsCredsOptions { Id = "tls0", Dir = ServerDir });
        }

        var address = unix ? SocketAddressOptions.Unix(Path.Combine(Pki.Root, "nbd.sock")) : SocketAddressOptions.Inet("127.0.0.1", 0);
        Server = Engine.StartNbdServer(new NbdServerOptions { Address = address, TlsCreds = tls ? "tls0" : null, TlsAuthz = authz });
        Engine.AddBlockNode(new BlockNodeOptions { NodeName = "disk", Driver = BlockDriverKind.Memory, Size = Size });
        Engine.AddBlockExport(new BlockExportOptions { Id = "exp", NodeName = "disk", Writable = true });
    }

    public TestPki Pki { get; }

    public X509Certificate2 Ca { get; }

    public ExportEngine Engine { get; }

    /// <summary>The server's tls-creds-x509 directory (also usable by a qemu-nbd for comparison).</summary>
    public string ServerDir { get; }

    public NbdServerInfo Server { get; }

    public int Port => Server.Port;

    public string? SocketPath => Server.Port == 0 ? Path.Combine(Pki.Root, "nbd.sock") : null;

    /// <summary>A client directory with ca-cert.pem and, unless null, client-cert.pem/client-key.pem for this CN (issued by <paramref name="issuer"/> or the server's CA).</summary>
    public string ClientDir(string? commonName, X509Certificate2? issuer = null)
    {
        var ca = issuer ?? Ca;
        return Pki.ClientDir(Ca, commonName is null ? null : TestPki.Client(ca, commonName), $"client-{Guid.NewGuid():n}");
    }

    /// <summary>libnbd URI: TLS required (nbds) with the certificate directory, or plain (nbd).</summary>
    public string Uri(string? certificates, string export = "disk")
    {
        string scheme = certificates is null ? "nbd" : "nbds";
        string tls = certificates is null ? string.Empty : $"tls-certificates={certificates}";
        return SocketPath is { } path
            ? $"{scheme}+unix:///{export}?socket={path}{(tls.Length > 0 ? "&" + tls : string.Empty)}"
            : $"{scheme}://127.0.0.1:{Port}/{export}{(tls.Length > 0 ? "?" + tls : string.Empty)}";
    }

    public void Dispose()
    {
        Engine.Dispose();
        Pki.Dispose();
    }
}
