using System.Text.Json;
using System.Text.Json.Nodes;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qmp.Codecs;

namespace ExportPS.Engine.Qmp;

/// <summary>
/// An engine in another process, driven over QMP: an ExportPS host, a qemu-storage-daemon or a QEMU. Each call is one
/// QMP command; replies become the same records and errors the in-process engine gives. Against QEMU, values QEMU does
/// not report (an export's client count, a node's compression) take their defaults.
/// </summary>
public sealed class QmpExportEngine : IExportEngine, IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly QmpClient _client;
    private readonly HashSet<string> _commands;

    private QmpExportEngine(QmpClient client)
    {
        _client = client;
        _commands = client.Execute("query-commands").EnumerateArray()
            .Select(c => c.GetProperty("name").GetString()!)
            .ToHashSet(StringComparer.Ordinal);
        _client.EventReceived += OnEvent;
    }

    /// <summary>Connects to the QMP monitor at <paramref name="socketPath"/>; every command waits at most <paramref name="timeout"/>.</summary>
    public static QmpExportEngine Connect(string socketPath, TimeSpan? timeout = null)
    {
        var client = QmpClient.Connect(socketPath, timeout ?? DefaultTimeout);
        try
        {
            return new QmpExportEngine(client);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public event EventHandler<BlockExportDeletedEventArgs>? ExportDeleted;

    /// <summary>The server's greeting version ("qemu" and "package").</summary>
    public JsonElement ServerVersion => _client.Greeting.GetProperty("version");

    // ---- block nodes ---------------------------------------------------------------------------------------------

    public BlockNodeInfo AddBlockNode(BlockNodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Run("blockdev-add", BlockNodeCodec.WriteAdd(options));
        return GetBlockNodes().Single(n => n.NodeName == options.NodeName);
    }

    public void RemoveBlockNode(string nodeName) => Run("blockdev-del", new JsonObject { ["node-name"] = nodeName });

    public IReadOnlyList<BlockNodeInfo> GetBlockNodes()
    {
        var nodes = new List<BlockNodeInfo>();
        foreach (var node in Run("query-named-block-nodes").EnumerateArray())
        {
            if (BlockNodeCodec.ReadInfo(node) is { } info)
            {
                nodes.Add(info);
            }
        }

        return nodes;
    }

    // ---- dirty bitmaps -------------------------------------------------------------------------------------------

    public DirtyBitmapInfo AddDirtyBitmap(DirtyBitmapOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Run("block-dirty-bitmap-add", DirtyBitmapCodec.WriteAdd(options));
        return GetDirtyBitmaps().Single(b => b.NodeName == options.NodeName && b.Name == options.Name);
    }

    public void RemoveDirtyBitmap(string nodeName, string name) => Run("block-dirty-bitmap-remove", DirtyBitmapCodec.WriteTarget(nodeName, name));

    public void ClearDirtyBitmap(string nodeName, string name) => Run("block-dirty-bitmap-clear", DirtyBitmapCodec.WriteTarget(nodeName, name));

    public void EnableDirtyBitmap(string nodeName, string name) => Run("block-dirty-bitmap-enable", DirtyBitmapCodec.WriteTarget(nodeName, name));

    public void DisableDirtyBitmap(string nodeName, string name) => Run("block-dirty-bitmap-disable", DirtyBitmapCodec.WriteTarget(nodeName, name));

    public void MergeDirtyBitmaps(string nodeName, string target, IReadOnlyList<string> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        Run("block-dirty-bitmap-merge", DirtyBitmapCodec.WriteMerge(nodeName, target, sources));
    }

    public IReadOnlyList<DirtyBitmapInfo> GetDirtyBitmaps() =>
        Run("query-named-block-nodes").EnumerateArray().SelectMany(DirtyBitmapCodec.ReadInfos).ToArray();

    // ---- fault rules of x-fault-inject nodes (an ExportPS host only) ----------------------------------------------

    public void SetBlockFault(BlockFaultOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Run(BlockFaultCodec.SetCommand, BlockFaultCodec.WriteSet(options));
    }

    public void ClearBlockFault(string nodeName, BlockFaultOperation? operation) =>
        Run(BlockFaultCodec.ClearCommand, BlockFaultCodec.WriteClear(nodeName, operation));

    public IReadOnlyList<BlockFaultInfo> GetBlockFaults() =>
        Run(BlockFaultCodec.QueryCommand).EnumerateArray().Select(BlockFaultCodec.ReadInfo).ToArray();

    // ---- iothreads -----------------------------------------------------------------------------------------------

    private const long QemuDefaultPollMaxNs = 32768;

    public IoThreadInfo AddIoThread(IoThreadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Run("object-add", IoThreadCodec.WriteAdd(options));
        if (_commands.Contains("query-iothreads"))
        {
            return GetIoThreads().Single(t => t.Id == options.Id);
        }

        // qemu-storage-daemon has no query-iothreads: the thread exists, its OS id is unknown; its poll limit is
        // the one asked for or QEMU's default.
        return new IoThreadInfo
        {
            Id = options.Id,
            ThreadId = 0,
            Users = 0,
            PollMaxNs = options.PollMaxNs ?? QemuDefaultPollMaxNs,
            PollGrow = options.PollGrow ?? 0,
            PollShrink = options.PollShrink ?? 0,
        };
    }

    public void RemoveIoThread(string id) => RemoveObjectOfKind(id, ErrorIds.IoThreadNotFound);

    public IReadOnlyList<IoThreadInfo> GetIoThreads() =>
        Run("query-iothreads").EnumerateArray().Select(IoThreadCodec.ReadInfo).ToArray();

    // ---- NBD server ----------------------------------------------------------------------------------------------

    public NbdServerInfo StartNbdServer(NbdServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Run("nbd-server-start", NbdServerCodec.WriteStart(options));
        if (_commands.Contains("x-query-nbd-server"))
        {
            return GetNbdServer();
        }

        // QEMU cannot be asked about its NBD server: describe it from the request.
        return new NbdServerInfo
        {
            Running = true,
            Endpoint = options.Address.ToString(),
            Port = options.Address.Kind == SocketAddressKind.Inet ? options.Address.Port : 0,
            MaxConnections = options.MaxConnections,
            TlsCreds = options.TlsCreds,
            TlsAuthz = options.TlsAuthz,
        };
    }

    /// <summary>nbd-server-stop has no grace period in QMP: the server applies its own.</summary>
    public void StopNbdServer(TimeSpan gracePeriod) => Run("nbd-server-stop");

    /// <summary>An ExportPS extension (x-query-nbd-server); QEMU has no such query and answers QmpCommandNotFound.</summary>
    public NbdServerInfo GetNbdServer() => NbdServerCodec.ReadInfo(Run("x-query-nbd-server"));

    // ---- exports -------------------------------------------------------------------------------------------------

    public BlockExportInfo AddBlockExport(BlockExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Run("block-export-add", BlockExportCodec.WriteAdd(options));
        var (info, detailed) = ReadExports().Single(e => e.Info.Id == options.Id);

        // QEMU reports only id, type, node and state: the rest is what was asked for.
        return detailed ? info : info with
        {
            Writable = options.Writable,
            Writethrough = options.Writethrough,
            IoThread = options.IoThread,
            Details = options.Type switch
            {
                BlockExportType.Nbd => new NbdExportDetails { Name = options.Nbd.Name ?? options.NodeName, Description = options.Nbd.Description },
                BlockExportType.VhostUserBlk when options.VhostUserBlk is { } vhostUserBlk => VhostUserBlkExportCodec.FromOptions(vhostUserBlk),
                BlockExportType.Fuse when options.Fuse is { } fuse => FuseExportCodec.FromOptions(fuse),
                _ => null,
            },
        };
    }

    public void RemoveBlockExport(string id, BlockExportRemoveMode mode) =>
        Run("block-export-del", new JsonObject { ["id"] = id, ["mode"] = QapiName.Of(mode) });

    public IReadOnlyList<BlockExportInfo> GetBlockExports() => ReadExports().Select(e => e.Info).ToArray();

    private IEnumerable<(BlockExportInfo Info, bool Detailed)> ReadExports() =>
        Run("query-block-exports").EnumerateArray().Select(BlockExportCodec.ReadInfo).ToArray();

    public bool WaitForExportDeleted(string id, TimeSpan timeout, CancellationToken cancellationToken) =>
        ExportDeletion.Wait(this, id, () => GetBlockExports().Any(e => e.Id == id), timeout, cancellationToken);

    private void OnEvent(object? sender, QmpEvent qmpEvent)
    {
        if (qmpEvent.Name == "BLOCK_EXPORT_DELETED" && qmpEvent.Data.ValueKind == JsonValueKind.Object
            && QmpMembers.String(qmpEvent.Data, "id") is { } id)
        {
            ExportDeleted?.Invoke(this, new BlockExportDeletedEventArgs(id, qmpEvent.TimestampUtc));
        }
    }

    // ---- TLS credentials and authorization objects ---------------------------------------------------------------

    public TlsCredsInfo AddTlsCreds(TlsCredsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Certificate is not null)
        {
            throw new EngineException(ErrorIds.TlsCredsNotSupported, EngineErrorCategory.NotSupported,
                "In-process certificates cannot be sent over QMP: give the credentials as a directory (Dir) on the engine's machine") { Target = options.Id };
        }

        Run("object-add", TlsCredsCodec.WriteAdd(options));
        if (_commands.Contains("x-query-tls-creds"))
        {
            return GetTlsCreds().Single(c => c.Id == options.Id);
        }

        // QEMU has no query for credentials: they exist; what they hold is known only to it.
        return new TlsCredsInfo { Id = options.Id, Type = options.Type, Endpoint = options.Endpoint, Dir = options.Dir, VerifyPeer = options.VerifyPeer };
    }

    /// <summary>An ExportPS extension (x-query-tls-creds); QEMU has no such query and answers QmpCommandNotFound.</summary>
    public IReadOnlyList<TlsCredsInfo> GetTlsCreds() =>
        Run("x-query-tls-creds").EnumerateArray().Select(TlsCredsCodec.ReadInfo).ToArray();

    public AuthzInfo AddAuthz(AuthzOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Run("object-add", AuthzCodec.WriteAdd(options));
        if (_commands.Contains("x-query-authz"))
        {
            return GetAuthz().Single(a => a.Id == options.Id);
        }

        // QEMU has no query for authz objects: describe it as it was given.
        return new AuthzInfo
        {
            Id = options.Id,
            Type = options.Type,
            Identity = options.Identity,
            Policy = options.Policy,
            Rules = options.Type == AuthzType.List ? options.Rules.ToArray() : [],
            Filename = options.Filename,
            Refresh = options.Type == AuthzType.ListFile && options.Refresh,
        };
    }

    /// <summary>An ExportPS extension (x-query-authz); QEMU has no such query and answers QmpCommandNotFound.</summary>
    public IReadOnlyList<AuthzInfo> GetAuthz() =>
        Run("x-query-authz").EnumerateArray().Select(AuthzCodec.ReadInfo).ToArray();

    public void RemoveObject(string id) => Run("object-del", new JsonObject { ["id"] = id });

    /// <summary>
    /// object-del of an object of one kind: object-del knows objects of every kind (QEMU's not-found text maps to the
    /// iothread's id), so its not-found answer becomes the error <paramref name="notFoundErrorId"/> of the kind asked for.
    /// </summary>
    private void RemoveObjectOfKind(string id, string notFoundErrorId)
    {
        try
        {
            RemoveObject(id);
        }
        catch (EngineException e) when (e.ErrorId is ErrorIds.ObjectNotFound or ErrorIds.IoThreadNotFound)
        {
            throw new EngineException(notFoundErrorId, EngineErrorCategory.NotFound, e.Message, e) { Target = id };
        }
    }

    // ---- netdevs -------------------------------------------------------------------------------------------------

    /// <summary>netdev_add; the reply comes from x-query-netdevs where the server has it (QEMU has no such query).</summary>
    public NetdevInfo AddNetdev(NetdevOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Run("netdev_add", NetdevCodec.WriteAdd(options));
        if (_commands.Contains(NetdevCodec.QueryCommand))
        {
            return GetNetdevs().Single(n => n.Id == options.Id);
        }

        return new NetdevInfo
        {
            Id = options.Id, Type = options.Type, Options = options.Summary(), Arguments = NetdevCodec.WriteAdd(options).ToJsonString(),
            LinkUp = true, Connected = true,
        };
    }

    public void RemoveNetdev(string id) => Run("netdev_del", new JsonObject { ["id"] = id });

    /// <summary>An ExportPS extension (x-query-netdevs); QEMU has no such query and answers QmpCommandNotFound.</summary>
    public IReadOnlyList<NetdevInfo> GetNetdevs() =>
        Run(NetdevCodec.QueryCommand).EnumerateArray().Select(NetdevCodec.ReadInfo).ToArray();

    public void SetLink(string name, bool up) => Run("set_link", new JsonObject { ["name"] = name, ["up"] = up });

    /// <summary>announce-self; a QEMU refuses x-mac-addresses (it announces its own NICs' addresses).</summary>
    public void Announce(NetAnnounceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Run("announce-self", NetdevCodec.WriteAnnounce(options));
    }

    /// <summary>object-add filter-dump; the reply comes from x-query-net-captures where the server has it.</summary>
    public NetCaptureInfo AddNetCapture(NetCaptureOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Run("object-add", NetCaptureCodec.WriteAdd(options));
        if (_commands.Contains(NetCaptureCodec.QueryCommand))
        {
            return GetNetCaptures().Single(c => c.Id == options.Id);
        }

        // QEMU has no query of its filters: describe the capture as it was asked for.
        return new NetCaptureInfo
        {
            Id = options.Id,
            Netdev = options.Netdev,
            Path = options.Path,
            MaxLength = options.MaxLength,
            Queue = options.Queue,
            Enabled = options.Enabled,
        };
    }

    public void RemoveNetCapture(string id) => RemoveObjectOfKind(id, ErrorIds.NetCaptureNotFound);

    /// <summary>An ExportPS extension (x-query-net-captures); QEMU has no such query and answers QmpCommandNotFound.</summary>
    public IReadOnlyList<NetCaptureInfo> GetNetCaptures() =>
        Run(NetCaptureCodec.QueryCommand).EnumerateArray().Select(NetCaptureCodec.ReadInfo).ToArray();

    // ---- plumbing ------------------------------------------------------------------------------------------------

    /// <summary>
    /// Runs one command. One the server did not list in query-commands at connect is refused here, with the error the
    /// server would give.
    /// </summary>
    private JsonElement Run(string command, JsonObject? arguments = null)
    {
        if (!_commands.Contains(command))
        {
            throw new EngineException(ErrorIds.QmpCommandNotFound, EngineErrorCategory.NotSupported,
                $"The command {command} has not been found") { Target = command };
        }

        try
        {
            return _client.Execute(command, arguments);
        }
        catch (QmpErrorException e)
        {
            throw QmpErrorMapping.ToEngineException(e);
        }
    }

    public void Dispose()
    {
        _client.EventReceived -= OnEvent;
        _client.Dispose();
    }
}
