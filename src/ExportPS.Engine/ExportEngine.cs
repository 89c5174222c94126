using ExportPS.Engine.Block;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Exports;
using ExportPS.Engine.Exports.Nbd;
using ExportPS.Engine.Model;
using ExportPS.Engine.Objects;
using ExportPS.Engine.Threading;
using ExportPS.Engine.Tls;

namespace ExportPS.Engine;

/// <summary>
/// The in-process engine: registries of block nodes, objects (iothreads, TLS credentials, authz) and exports, the NBD server, and every rule about them.
/// Control-plane calls serialize on one lock; the data path (requests) never takes it.
/// </summary>
public sealed class ExportEngine : IExportEngine, IDisposable
{
    private static readonly object SharedLock = new();
    private static ExportEngine? _shared;

    private readonly object _lock = new();
    private readonly Dictionary<string, BlockNode> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BlockExport> _exports = new(StringComparer.Ordinal);
    private readonly Dictionary<BlockExportType, IBlockExportDriver> _exportDrivers = [];
    private readonly ObjectRegistry _objects = new();
    private NbdServer? _nbdServer;
    private bool _disposed;

    public ExportEngine()
    {
        Register(new NbdExportDriver(() => _nbdServer, ResolveBitmap));
    }

    /// <summary>The process-wide engine, created on first use (the PowerShell module's engine).</summary>
    public static ExportEngine Shared
    {
        get
        {
            lock (SharedLock)
            {
                return _shared ??= new ExportEngine();
            }
        }
    }

    /// <summary>Disposes the process-wide engine if it was created (module removal).</summary>
    public static void DisposeShared()
    {
        lock (SharedLock)
        {
            _shared?.Dispose();
            _shared = null;
        }
    }

    public event EventHandler<BlockExportDeletedEventArgs>? ExportDeleted;

    /// <summary>
    /// An NBD client connection was dropped on an error (<see cref="NbdClientError"/>). Raised on the connection's
    /// thread: handlers must be quick and must not throw. The count and the latest are in <see cref="GetNbdServer"/>.
    /// </summary>
    public event EventHandler<NbdClientError>? NbdClientFailed;

    private void Register(IBlockExportDriver driver) => _exportDrivers[driver.Type] = driver;

    // ---- block nodes -------------------------------------------------------------------------------------------

    public BlockNodeInfo AddBlockNode(BlockNodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        QemuName.Require(options.NodeName, "node-name");
        lock (_lock)
        {
            ThrowIfDisposed();
            if (_nodes.ContainsKey(options.NodeName))
            {
                throw new EngineException(ErrorIds.BlockNodeExists, EngineErrorCategory.AlreadyExists,
                    $"Duplicate nodes with node-name='{options.NodeName}'") { Target = options.NodeName };
            }

            BlockNode? backing = options.Backing is null ? null : FindNode(options.Backing);
            BlockNode? file = options.File is null ? null : FindNode(options.File);
            var node = new BlockNode(options, BlockDriverFactory.Open(options, file), backing, file);
            _nodes.Add(options.NodeName, node);
            return Describe(node);
        }
    }

    public void RemoveBlockNode(string nodeName)
    {
        lock (_lock)
        {
            var node = FindNode(nodeName);
            var user = _nodes.Values.FirstOrDefault(n => n.Backing == node);
            if (user is not null)
            {
                throw InUse(nodeName, $"Node '{nodeName}' is busy: node is used as backing hd of '{user.NodeName}'");
            }

            var parent = _nodes.Values.FirstOrDefault(n => n.File == node);
            if (parent is not null)
            {
                throw InUse(nodeName, $"Node '{nodeName}' is busy: node is used as file of '{parent.NodeName}'");
            }

            var export = _exports.Values.FirstOrDefault(e => e.Node == node);
            if (export is not null)
            {
                throw InUse(nodeName, $"Node '{nodeName}' is busy: block device is in use by block export '{export.Id}'");
            }

            _nodes.Remove(nodeName);
            node.Dispose();
        }

        static EngineException InUse(string target, string message) =>
            new(ErrorIds.BlockNodeInUse, EngineErrorCategory.InUse, message) { Target = target };
    }

    public IReadOnlyList<BlockNodeInfo> GetBlockNodes()
    {
        lock (_lock)
        {
            return _nodes.Values.Select(Describe).ToArray();
        }
    }

    /// <summary>The live node, for export types and tests inside the engine.</summary>
    public BlockNode GetNode(string nodeName)
    {
        lock (_lock)
        {
            return FindNode(nodeName);
        }
    }

    private BlockNode FindNode(string nodeName) =>
        _nodes.TryGetValue(nodeName ?? string.Empty, out var node)
            ? node
            : throw new EngineException(ErrorIds.BlockNodeNotFound, EngineErrorCategory.NotFound,
                $"Cannot find device={nodeName} nor node-name={nodeName}") { Target = nodeName };

    private static BlockNodeInfo Describe(BlockNode node) => new()
    {
        NodeName = node.NodeName,
        Driver = node.Options.Driver,
        Size = node.Size,
        ReadOnly = node.ReadOnly,
        Backing = node.Backing?.NodeName,
        Path = node.Options.Path,
        File = node.File?.NodeName,
        AllocatedBytes = node.AllocatedBytes,
        Compression = node.Options.Compression,
        CacheDirect = node.Options.CacheDirect,
        ReadZeroes = node.Options.ReadZeroes,
        Bitmaps = node.Bitmaps.All.Select(b => b.Name).Order(StringComparer.Ordinal).ToArray(),
    };

    // ---- dirty bitmaps -----------------------------------------------------------------------------------------

    public DirtyBitmapInfo AddDirtyBitmap(DirtyBitmapOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (_lock)
        {
            var node = FindNode(options.NodeName);
            return Describe(node, node.Bitmaps.Add(options));
        }
    }

    public void RemoveDirtyBitmap(string nodeName, string name)
    {
        lock (_lock)
        {
            FindNode(nodeName).Bitmaps.Remove(name);
        }
    }

    public void ClearDirtyBitmap(string nodeName, string name) => WithIdleBitmap(nodeName, name, b => b.Clear());

    public void EnableDirtyBitmap(string nodeName, string name) => WithIdleBitmap(nodeName, name, b => b.Enabled = true);

    public void DisableDirtyBitmap(string nodeName, string name) => WithIdleBitmap(nodeName, name, b => b.Enabled = false);

    public void MergeDirtyBitmaps(string nodeName, string target, IReadOnlyList<string> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        lock (_lock)
        {
            var destination = FindNode(nodeName).Bitmaps.Get(target);
            DirtyBitmapSet.RequireIdle(destination);
            var resolved = sources.Select(s => ResolveBitmap(nodeName, s)).ToArray();
            foreach (var source in resolved)
            {
                destination.Merge(source);
            }
        }
    }

    /// <summary>A bitmap named "name" on <paramref name="defaultNode"/>, or "node/name" anywhere.</summary>
    public DirtyBitmap ResolveBitmap(string defaultNode, string reference)
    {
        lock (_lock)
        {
            int slash = reference.IndexOf('/');
            return slash < 0
                ? FindNode(defaultNode).Bitmaps.Get(reference)
                : FindNode(reference[..slash]).Bitmaps.Get(reference[(slash + 1)..]);
        }
    }

    public IReadOnlyList<DirtyBitmapInfo> GetDirtyBitmaps()
    {
        lock (_lock)
        {
            return _nodes.Values.SelectMany(n => n.Bitmaps.All.Select(b => Describe(n, b))).ToArray();
        }
    }

    private void WithIdleBitmap(string nodeName, string name, Action<DirtyBitmap> change)
    {
        lock (_lock)
        {
            var bitmap = FindNode(nodeName).Bitmaps.Get(name);
            DirtyBitmapSet.RequireIdle(bitmap);
            change(bitmap);
        }
    }

    private static DirtyBitmapInfo Describe(BlockNode node, DirtyBitmap bitmap) => new()
    {
        NodeName = node.NodeName,
        Name = bitmap.Name,
        Granularity = bitmap.Granularity,
        Count = bitmap.Count,
        Enabled = bitmap.Enabled,
        Persistent = bitmap.Persistent,
        Busy = bitmap.Busy,
    };

    // ---- objects: iothread, tls-creds-x509, authz-* (object-add, object-del) ----------------------------------------

    public IoThreadInfo AddIoThread(IoThreadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.RangeError() is { } error)
        {
            throw new EngineException(ErrorIds.InvalidArgument, EngineErrorCategory.InvalidArgument, error) { Target = options.Id };
        }

        return Describe(AddObject(options.Id, () => new IoThread(options), ErrorIds.IoThreadExists));
    }

    public void RemoveIoThread(string id)
    {
        lock (_lock)
        {
            _objects.Remove(FindIoThread(id));
        }
    }

    public IReadOnlyList<IoThreadInfo> GetIoThreads()
    {
        lock (_lock)
        {
            return _objects.All<IoThread>().Select(Describe).ToArray();
        }
    }

    private IoThread FindIoThread(string id) =>
        _objects.Find<IoThread>(id)
            ?? throw new EngineException(ErrorIds.IoThreadNotFound, EngineErrorCategory.NotFound,
                $"Cannot find iothread {id}") { Target = id };

    private static IoThreadInfo Describe(IoThread thread) => new()
    {
        Id = thread.Id,
        ThreadId = thread.ThreadId,
        Users = thread.Users,
        PollMaxNs = thread.PollMaxNs,
        PollGrow = thread.PollGrow,
        PollShrink = thread.PollShrink,
    };

    public TlsCredsInfo AddTlsCreds(TlsCredsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return AddObject(options.Id, () => TlsCredentials.Load(options)).ToInfo();
    }

    public IReadOnlyList<TlsCredsInfo> GetTlsCreds()
    {
        lock (_lock)
        {
            return _objects.All<TlsCredentials>().Select(c => c.ToInfo()).ToArray();
        }
    }

    public AuthzInfo AddAuthz(AuthzOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return AddObject(options.Id, () => Authz.Create(options)).ToInfo();
    }

    public IReadOnlyList<AuthzInfo> GetAuthz()
    {
        lock (_lock)
        {
            return _objects.All<Authz>().Select(a => a.ToInfo()).ToArray();
        }
    }

    public void RemoveObject(string id)
    {
        lock (_lock)
        {
            _objects.Remove(id);
        }
    }

    /// <summary>The live credentials, for the NBD server and tests inside the engine.</summary>
    internal TlsCredentials GetTlsCredentials(string id)
    {
        lock (_lock)
        {
            return _objects.Find<TlsCredentials>(id)
                ?? throw new EngineException(ErrorIds.TlsCredsNotFound, EngineErrorCategory.NotFound,
                    $"No TLS credentials with id '{id}'") { Target = id };
        }
    }

    /// <summary>The authz object with this id right now, or null (a TLS server asks at each connection).</summary>
    internal Authz? FindAuthz(string id)
    {
        lock (_lock)
        {
            return _objects.Find<Authz>(id);
        }
    }

    private T AddObject<T>(string id, Func<T> create, string duplicateErrorId = ErrorIds.ObjectExists)
        where T : IUserCreatable
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            return _objects.Add(id, create, duplicateErrorId);
        }
    }

    /// <summary>nbd-server-start's checks of tls-creds and tls-authz (the authz itself is looked up per connection).</summary>
    private TlsCredentials? ResolveServerTlsCreds(NbdServerOptions options)
    {
        if (options.TlsCreds is null)
        {
            return options.TlsAuthz is null
                ? null
                : throw new EngineException(ErrorIds.InvalidTlsCreds, EngineErrorCategory.InvalidArgument,
                    "tls-authz is not permitted without tls-creds") { Target = options.TlsAuthz };
        }

        var credentials = _objects.Find<TlsCredentials>(options.TlsCreds);
        if (credentials is null)
        {
            throw _objects.Contains(options.TlsCreds)
                ? new EngineException(ErrorIds.InvalidTlsCreds, EngineErrorCategory.InvalidArgument,
                    $"Object with id '{options.TlsCreds}' is not TLS credentials") { Target = options.TlsCreds }
                : new EngineException(ErrorIds.TlsCredsNotFound, EngineErrorCategory.NotFound,
                    $"No TLS credentials with id '{options.TlsCreds}'") { Target = options.TlsCreds };
        }

        if (credentials.Endpoint != TlsCredsEndpoint.Server)
        {
            throw new EngineException(ErrorIds.InvalidTlsCreds, EngineErrorCategory.InvalidArgument,
                "Expecting TLS credentials with a server endpoint") { Target = options.TlsCreds };
        }

        if (options.TlsAuthz is not null && !credentials.VerifyPeer)
        {
            // QEMU would silently skip the check: without verify-peer no client certificate is asked for.
            throw new EngineException(ErrorIds.InvalidTlsCreds, EngineErrorCategory.InvalidArgument,
                $"tls-authz needs TLS credentials with verify-peer on; '{options.TlsCreds}' has it off") { Target = options.TlsCreds };
        }

        return credentials;
    }

    // ---- NBD server --------------------------------------------------------------------------------------------

    public NbdServerInfo StartNbdServer(NbdServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (_lock)
        {
            ThrowIfDisposed();
            if (_nbdServer is not null)
            {
                throw new EngineException(ErrorIds.NbdServerRunning, EngineErrorCategory.InvalidState, "NBD server already running");
            }

            var credentials = ResolveServerTlsCreds(options);
            var server = new NbdServer(options)
            {
                Tls = credentials is null ? null : new TlsServer(credentials, options.TlsAuthz, FindAuthz),
                ClientFailed = error => NbdClientFailed?.Invoke(this, error),
            };
            server.Start();
            _nbdServer = server;
            credentials?.AddUser();
            return server.ToInfo(CountNbdExports());
        }
    }

    public void StopNbdServer(TimeSpan gracePeriod)
    {
        NbdServer server;
        BlockExport[] exports;
        lock (_lock)
        {
            server = _nbdServer ?? throw new EngineException(ErrorIds.NbdServerNotRunning, EngineErrorCategory.InvalidState, "NBD server not running");
            _nbdServer = null;
            server.Tls?.Credentials.RemoveUser();
            server.StopListening();
            exports = _exports.Values.Where(e => e.Options.Type == BlockExportType.Nbd).ToArray();
        }

        // Graceful first: clients may finish what they are doing; then whoever is left is dropped.
        foreach (var export in exports)
        {
            export.RequestShutdown(dropClients: false);
        }

        var deadline = DateTime.UtcNow + gracePeriod;
        foreach (var export in exports)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !WaitForExportDeleted(export.Id, left, CancellationToken.None))
            {
                export.RequestShutdown(dropClients: true);
            }
        }

        server.Dispose();
    }

    public NbdServerInfo GetNbdServer()
    {
        lock (_lock)
        {
            return _nbdServer?.ToInfo(CountNbdExports()) ?? new NbdServerInfo { Running = false };
        }
    }

    private int CountNbdExports() => _exports.Values.Count(e => e.Options.Type == BlockExportType.Nbd);

    // ---- exports -----------------------------------------------------------------------------------------------

    public BlockExportInfo AddBlockExport(BlockExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        QemuName.Require(options.Id, "id");
        lock (_lock)
        {
            ThrowIfDisposed();
            if (_exports.ContainsKey(options.Id))
            {
                throw new EngineException(ErrorIds.ExportExists, EngineErrorCategory.AlreadyExists,
                    $"Block export id '{options.Id}' is already in use") { Target = options.Id };
            }

            if (!_exportDrivers.TryGetValue(options.Type, out var driver))
            {
                throw new EngineException(ErrorIds.ExportTypeNotSupported, EngineErrorCategory.NotSupported,
                    $"Export type '{options.Type}' is not supported by this engine yet") { Target = options.Id };
            }

            var node = FindNode(options.NodeName);
            if (options.Writable && node.ReadOnly)
            {
                throw new EngineException(ErrorIds.ExportReadOnlyNode, EngineErrorCategory.PermissionDenied,
                    $"Could not get permissions: block node '{node.NodeName}' is read-only") { Target = options.Id };
            }

            var ioThread = options.IoThread is null ? null : FindIoThread(options.IoThread);
            var export = driver.Create(options, node, ioThread);
            ioThread?.AddUser();
            export.AttachDeletedCallback(OnExportDeleted);
            _exports.Add(options.Id, export);
            return export.ToInfo();
        }
    }

    public void RemoveBlockExport(string id, BlockExportRemoveMode mode)
    {
        BlockExport export;
        lock (_lock)
        {
            export = FindExport(id);
            if (mode == BlockExportRemoveMode.Safe && export.ClientCount > 0)
            {
                throw new EngineException(ErrorIds.ExportInUse, EngineErrorCategory.InUse,
                    $"export '{id}' still in use; use mode 'hard' to force client disconnect") { Target = id };
            }
        }

        export.RequestShutdown(dropClients: mode == BlockExportRemoveMode.Hard);
    }

    public IReadOnlyList<BlockExportInfo> GetBlockExports()
    {
        lock (_lock)
        {
            return _exports.Values.Select(e => e.ToInfo()).ToArray();
        }
    }

    /// <summary>The live export, for tests and front ends inside the engine.</summary>
    public BlockExport GetExport(string id)
    {
        lock (_lock)
        {
            return FindExport(id);
        }
    }

    public bool WaitForExportDeleted(string id, TimeSpan timeout, CancellationToken cancellationToken) =>
        ExportDeletion.Wait(this, id, () => { lock (_lock) { return _exports.ContainsKey(id); } }, timeout, cancellationToken);

    private BlockExport FindExport(string id) =>
        _exports.TryGetValue(id ?? string.Empty, out var export)
            ? export
            : throw new EngineException(ErrorIds.ExportNotFound, EngineErrorCategory.NotFound,
                $"Export '{id}' is not found") { Target = id };

    private void OnExportDeleted(BlockExport export)
    {
        lock (_lock)
        {
            _exports.Remove(export.Id);
            export.IoThread?.RemoveUser();
        }

        ExportDeleted?.Invoke(this, new BlockExportDeletedEventArgs(export.Id, DateTime.UtcNow));
    }

    // ---- lifetime ----------------------------------------------------------------------------------------------

    private void ThrowIfDisposed()
    {
        if (_disposed)
        {
            throw new EngineException(ErrorIds.EngineDisposed, EngineErrorCategory.InvalidState, "The engine has been shut down");
        }
    }

    /// <summary>Drops every client, closes every export, stops the NBD server and the iothreads, closes every node.</summary>
    public void Dispose()
    {
        BlockExport[] exports;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            exports = _exports.Values.ToArray();
        }

        try
        {
            StopNbdServer(TimeSpan.Zero);
        }
        catch (EngineException e) when (e.ErrorId == ErrorIds.NbdServerNotRunning)
        {
            // Not running, or a concurrent nbd-server-stop got there first: either way it is stopped.
        }

        foreach (var export in exports)
        {
            export.RequestShutdown(dropClients: true);
        }

        lock (_lock)
        {
            _objects.Dispose();
            foreach (var node in _nodes.Values)
            {
                node.Dispose();
            }

            _nodes.Clear();
        }
    }
}
