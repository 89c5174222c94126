using System.Security.Cryptography.X509Certificates;
using ExportPS.Engine;
using ExportPS.Engine.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ExportPS.TestSupport;

/// <summary>
/// An engine with a running NBD server on 127.0.0.1 port 0 (or a unix socket in a private temp directory) and one
/// memory export "exp" of node "disk", torn down completely on Dispose. The disk has discard=unmap, so trims and
/// unmapping write-zeroes reach its driver. <see cref="WithTls"/> builds the same server
/// requiring TLS, with a test PKI for client certificate directories.
/// </summary>
internal sealed class NbdTestServer : IDisposable
{
    public const long DefaultSize = 64L << 20;

    /// <summary>The export size of <see cref="WithTls"/>: TLS tests copy the whole disk through peers.</summary>
    public const long TlsSize = 16L << 20;

    private readonly TempDirectory _directory = new("exportps-nbd-");
    private readonly TlsSetup? _tls;

    public NbdTestServer(long size = DefaultSize, bool writable = true, bool unix = false, uint maxConnections = 0,
        string? description = null, Func<BlockExportOptions, BlockExportOptions>? configure = null, bool addExport = true,
        ILoggerFactory? loggerFactory = null)
        : this(size, writable, unix, maxConnections, description, configure, addExport, tls: null, loggerFactory)
    {
    }

    private NbdTestServer(long size, bool writable, bool unix, uint maxConnections, string? description,
        Func<BlockExportOptions, BlockExportOptions>? configure, bool addExport, TlsSetup? tls, ILoggerFactory? loggerFactory)
    {
        _tls = tls;
        Engine = new ExportEngine(loggerFactory ?? NullLoggerFactory.Instance);
        try
        {
            string? creds = null, authz = null;
            if (tls is not null)
            {
                (creds, authz) = tls.AddObjects(Engine);
            }

            var address = unix ? SocketAddressOptions.Unix(TempFile("nbd.sock")) : SocketAddressOptions.Inet("127.0.0.1", 0);
            Server = Engine.StartNbdServer(new NbdServerOptions { Address = address, MaxConnections = maxConnections, TlsCreds = creds, TlsAuthz = authz });
            Engine.AddBlockNode(new BlockNodeOptions { NodeName = "disk", Driver = BlockDriverKind.Memory, Size = size, Discard = BlockDiscardMode.Unmap });
            if (addExport)
            {
                var options = new BlockExportOptions
                {
                    Id = "exp",
                    NodeName = "disk",
                    Writable = writable,
                    Nbd = new NbdExportOptions { Description = description },
                };
                Engine.AddBlockExport(configure?.Invoke(options) ?? options);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>
    /// A server with tls-creds "tls0" (unless <paramref name="requireTls"/> is false: then the PKI exists but the
    /// server is plain) and, when <paramref name="allowedGlobs"/> is given, tls-authz "auth0" allowing those DN globs;
    /// one writable <see cref="TlsSize"/> memory export. The engine logs through <paramref name="loggerFactory"/> when given.
    /// </summary>
    public static NbdTestServer WithTls(bool unix = false, string[]? allowedGlobs = null, bool requireTls = true, ILoggerFactory? loggerFactory = null) =>
        new(TlsSize, writable: true, unix, maxConnections: 0, description: null, configure: null, addExport: true,
            new TlsSetup(allowedGlobs, requireTls), loggerFactory);

    public ExportEngine Engine { get; }

    public NbdServerInfo Server { get; }

    /// <summary>This server's private temp directory (its unix socket, images the test writes).</summary>
    public string Directory => _directory.Path;

    public int Port => Server.Port;

    public string? SocketPath => Server.Port == 0 ? TempFile("nbd.sock") : null;

    public TestPki Pki => Tls.Pki;

    public X509Certificate2 Ca => Tls.Ca;

    /// <summary>The server's tls-creds-x509 directory (also usable by a qemu-nbd for comparison).</summary>
    public string ServerDir => Tls.ServerDir;

    private TlsSetup Tls => _tls ?? throw new InvalidOperationException("this server was not built WithTls");

    /// <summary>An NBD URI for libnbd tools: nbd://127.0.0.1:PORT/NAME or nbd+unix:///NAME?socket=PATH.</summary>
    public string Uri(string exportName = "disk") => SocketPath is { } path
        ? $"nbd+unix:///{exportName}?socket={path}"
        : $"nbd://127.0.0.1:{Port}/{exportName}";

    /// <summary>libnbd URI with TLS required (nbds) and the client certificate directory, or plain (nbd) when it is null.</summary>
    public string TlsUri(string? certificates, string exportName = "disk")
    {
        if (certificates is null)
        {
            return Uri(exportName);
        }

        string tls = $"tls-certificates={certificates}";
        return SocketPath is { } path
            ? $"nbds+unix:///{exportName}?socket={path}&{tls}"
            : $"nbds://127.0.0.1:{Port}/{exportName}?{tls}";
    }

    /// <summary>QEMU's spelling (qemu-img, qemu-io): nbd:127.0.0.1:PORT:exportname=NAME or nbd:unix:PATH:exportname=NAME.</summary>
    public string QemuUri(string exportName = "disk") => SocketPath is { } path
        ? $"nbd:unix:{path}:exportname={exportName}"
        : $"nbd:127.0.0.1:{Port}:exportname={exportName}";

    public string TempFile(string name) => _directory.File(name);

    /// <summary>A client directory with ca-cert.pem and, unless null, client-cert.pem/client-key.pem for this CN (issued by <paramref name="issuer"/> or the server's CA).</summary>
    public string ClientDir(string? commonName, X509Certificate2? issuer = null)
    {
        var ca = issuer ?? Ca;
        return Pki.ClientDir(Ca, commonName is null ? null : TestPki.Client(ca, commonName), $"client-{Guid.NewGuid():n}");
    }

    public void Dispose()
    {
        Engine?.Dispose();
        _tls?.Pki.Dispose();
        _directory.Dispose();
    }

    /// <summary>The PKI of a TLS server and the engine objects that make its NBD server require TLS.</summary>
    private sealed class TlsSetup(string[]? allowedGlobs, bool requireTls)
    {
        public TestPki Pki { get; } = new();

        public X509Certificate2 Ca { get; } = TestPki.CreateCa("Test CA");

        public string ServerDir { get; private set; } = string.Empty;

        /// <summary>Adds tls-creds "tls0" and tls-authz "auth0" as asked; returns their ids for the NBD server.</summary>
        public (string? Creds, string? Authz) AddObjects(ExportEngine engine)
        {
            string? authz = null;
            if (allowedGlobs is not null)
            {
                authz = "auth0";
                engine.AddAuthz(new AuthzOptions
                {
                    Id = authz,
                    Rules = allowedGlobs.Select(g => new AuthzListRule { Match = g, Policy = AuthzPolicy.Allow, Format = AuthzListFormat.Glob }).ToArray(),
                });
            }

            ServerDir = Pki.ServerDir(Ca, TestPki.Server(Ca));
            if (!requireTls)
            {
                return (null, authz);
            }

            engine.AddTlsCreds(new TlsCredsOptions { Id = "tls0", Dir = ServerDir });
            return ("tls0", authz);
        }
    }
}
