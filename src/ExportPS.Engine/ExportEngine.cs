using ExportPS.Engine.Block;
using ExportPS.Engine.Exports;
using ExportPS.Engine.Exports.Nbd;
using ExportPS.Engine.Exports.Fuse;
using ExportPS.Engine.Exports.VduseBlk;
using ExportPS.Engine.Exports.VhostUserBlk;
using ExportPS.Engine.Model;
using ExportPS.Engine.Net;
using ExportPS.Engine.Objects;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ExportPS.Engine;

/// <summary>
/// The in-process engine: one service per subsystem — the block graph, the user objects, the block exports, the NBD
/// server and the netdevs — sharing one control-plane lock. A new subsystem is a new service built here and passed to the base.
/// </summary>
public sealed class ExportEngine : ComposedEngine, IDisposable
{
    private static readonly object SharedLock = new();
    private static ExportEngine? _shared;

    private readonly Services _services;

    /// <summary>An engine that logs nothing.</summary>
    public ExportEngine()
        : this(NullLoggerFactory.Instance)
    {
    }

    /// <summary>An engine whose subsystems log through <paramref name="loggerFactory"/> (categories ExportPS.*, see docs/ARCHITECTURE.md).</summary>
    public ExportEngine(ILoggerFactory loggerFactory)
        : this(Services.Create(loggerFactory ?? throw new ArgumentNullException(nameof(loggerFactory))))
    {
    }

    private ExportEngine(Services services)
        : base(services.Graph, services.Objects, services.Exports, services.NbdServer, services.Netdevs)
    {
        _services = services;
    }

    /// <summary>
    /// The process-wide engine (the PowerShell module's engine), created on first use; the call that creates it gives the
    /// factory it logs through (the module's routes events to the cmdlet that caused them).
    /// </summary>
    public static ExportEngine GetShared(ILoggerFactory loggerFactory)
    {
        lock (SharedLock)
        {
            return _shared ??= new ExportEngine(loggerFactory);
        }
    }

    /// <summary>The factory this engine's loggers come from (a QMP monitor serving it logs through it too).</summary>
    public ILoggerFactory LoggerFactory => _services.Control.Loggers;

    /// <summary>Disposes the process-wide engine if it was created (module removal).</summary>
    public static void DisposeShared()
    {
        lock (SharedLock)
        {
            _shared?.Dispose();
            _shared = null;
        }
    }

    /// <summary>
    /// An NBD client connection was dropped on an error (<see cref="NbdClientError"/>). Raised on the connection's
    /// thread: handlers must be quick and must not throw. The count and the latest are in <see cref="ComposedEngine.GetNbdServer"/>.
    /// </summary>
    public event EventHandler<NbdClientError>? NbdClientFailed
    {
        add => _services.NbdServer.ClientFailed += value;
        remove => _services.NbdServer.ClientFailed -= value;
    }

    /// <summary>The live block graph, for tests inside the engine.</summary>
    internal BlockGraph Graph => _services.Graph;

    /// <summary>The live objects, for tests inside the engine.</summary>
    internal UserObjects Objects => _services.Objects;

    /// <summary>The live exports, for tests inside the engine.</summary>
    internal BlockExports Exports => _services.Exports;

    /// <summary>Drops every client, closes every export, stops the NBD server and the iothreads, closes every node.</summary>
    public void Dispose()
    {
        lock (_services.Control.Lock)
        {
            if (_services.Control.Disposed)
            {
                return;
            }

            _services.Control.Disposed = true;
        }

        _services.NbdServer.Dispose();
        _services.Netdevs.Dispose();
        Exports.DropAll();
        Objects.Dispose();
        Graph.Dispose();
    }

    /// <summary>The subsystem services of one engine, built in dependency order around one control plane.</summary>
    private sealed record Services(ControlPlane Control, BlockGraph Graph, UserObjects Objects, BlockExports Exports, NbdServerService NbdServer, NetdevService Netdevs)
    {
        public static Services Create(ILoggerFactory loggers)
        {
            var control = new ControlPlane(loggers);
            var objects = new UserObjects(control);
            var graph = new BlockGraph(control, objects);
            var exports = new BlockExports(control, graph, objects);
            exports.Register(new VhostUserBlkExportDriver(loggers));
            exports.Register(new VduseBlkExportDriver());
            exports.Register(new FuseExportDriver(loggers));
            return new Services(control, graph, objects, exports, new NbdServerService(control, graph, objects, exports), new NetdevService(control, objects.Registry));
        }
    }
}
