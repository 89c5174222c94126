using ExportPS.Engine.Block;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Logging;
using ExportPS.Engine.Model;
using ExportPS.Engine.Objects;
using ExportPS.Engine.Tls;
using Microsoft.Extensions.Logging;

namespace ExportPS.Engine.Exports.Nbd;

/// <summary>
/// The in-process NBD server service (QEMU's blockdev-nbd.c): nbd-server-start and -stop, and the NBD export type it
/// registers with the exports, whose exports it serves. Stopping the server closes its exports.
/// </summary>
internal sealed class NbdServerService : INbdServerService, IDisposable
{
    private readonly ControlPlane _control;
    private readonly UserObjects _objects;
    private readonly BlockExports _exports;
    private readonly ILogger _log;
    private NbdServer? _server;

    public NbdServerService(ControlPlane control, BlockGraph graph, UserObjects objects, BlockExports exports)
    {
        _control = control;
        _objects = objects;
        _exports = exports;
        _log = control.Loggers.CreateLogger(NbdServerLog.Category);
        exports.Register(new NbdExportDriver(() => _server, graph.ResolveBitmap));
    }

    /// <summary>
    /// An NBD client connection was dropped on an error (<see cref="NbdClientError"/>). Raised on the connection's
    /// thread: handlers must be quick and must not throw. The count and the latest are in <see cref="GetNbdServer"/>.
    /// </summary>
    public event EventHandler<NbdClientError>? ClientFailed;

    public NbdServerInfo StartNbdServer(NbdServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (_control.Lock)
        {
            _control.ThrowIfDisposed();
            if (_server is not null)
            {
                throw new EngineException(ErrorIds.NbdServerRunning, EngineErrorCategory.InvalidState, "NBD server already running");
            }

            var credentials = ResolveTlsCreds(options);
            var server = new NbdServer(options)
            {
                Tls = credentials is null ? null : new TlsServer(credentials, options.TlsAuthz, _objects.FindAuthz),
                ClientFailed = error => ClientFailed?.Invoke(this, error),
                Log = _log,
            };
            server.Start();
            _server = server;
            credentials?.AddUser();
            var info = server.ToInfo(_exports.Count(BlockExportType.Nbd));
            _log.ServerStarted(server.Endpoint, options.TlsCreds ?? "none", options.MaxConnections);
            return info;
        }
    }

    public void StopNbdServer(TimeSpan gracePeriod)
    {
        NbdServer server;
        lock (_control.Lock)
        {
            server = _server ?? throw new EngineException(ErrorIds.NbdServerNotRunning, EngineErrorCategory.InvalidState, "NBD server not running");
            _server = null;
            server.Tls?.Credentials.RemoveUser();
            server.StopListening();
        }

        _exports.CloseAll(BlockExportType.Nbd, gracePeriod);
        server.Dispose();
        _log.ServerStopped(server.Endpoint);
    }

    public NbdServerInfo GetNbdServer()
    {
        lock (_control.Lock)
        {
            return _server?.ToInfo(_exports.Count(BlockExportType.Nbd)) ?? new NbdServerInfo { Running = false };
        }
    }

    /// <summary>nbd-server-start's checks of tls-creds and tls-authz (the authz itself is looked up per connection).</summary>
    private TlsCredentials? ResolveTlsCreds(NbdServerOptions options)
    {
        if (options.TlsCreds is null)
        {
            return options.TlsAuthz is null
                ? null
                : throw new EngineException(ErrorIds.InvalidTlsCreds, EngineErrorCategory.InvalidArgument,
                    "tls-authz is not permitted without tls-creds") { Target = options.TlsAuthz };
        }

        var credentials = _objects.FindServerCredentials(options.TlsCreds);
        if (options.TlsAuthz is not null && !credentials.VerifyPeer)
        {
            // QEMU would silently skip the check: without verify-peer no client certificate is asked for.
            throw new EngineException(ErrorIds.InvalidTlsCreds, EngineErrorCategory.InvalidArgument,
                $"tls-authz needs TLS credentials with verify-peer on; '{options.TlsCreds}' has it off") { Target = options.TlsCreds };
        }

        return credentials;
    }

    /// <summary>Stops the server at once, dropping its clients (engine shutdown).</summary>
    public void Dispose()
    {
        try
        {
            StopNbdServer(TimeSpan.Zero);
        }
        catch (EngineException e) when (e.ErrorId == ErrorIds.NbdServerNotRunning)
        {
            // Not running, or a concurrent nbd-server-stop got there first: either way it is stopped.
        }
    }
}
