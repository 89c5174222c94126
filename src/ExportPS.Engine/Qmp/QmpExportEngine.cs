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
        var args = new JsonObject { ["driver"] = BlockDriverNames.Of(options.Driver), ["node-name"] = options.NodeName };
        QmpMembers.SetIf(args, "read-only", options.ReadOnly);
        QmpMembers.SetIf(args, "backing", options.Backing);
        if (options.CacheDirect)
        {
            args["cache"] = new JsonObject { ["direct"] = true };
        }

        switch (options.Driver)
        {
            case BlockDriverKind.File:
                args["filename"] = options.Path;
                break;
            case BlockDriverKind.Null:
                QmpMembers.SetIf(args, "size", options.Size);
                args["read-zeroes"] = options.ReadZeroes;
                break;
            case BlockDriverKind.Raw:
                args["file"] = options.File;
                break;
            default:
                QmpMembers.SetIf(args, "size", options.Size);
                if (options.Compression != BlockCompression.None)
                {
                    args["compression"] = QapiName.Of(options.Compression);
                }

                break;
        }

        Run("blockdev-add", args);
        return GetBlockNodes().Single(n => n.NodeName == options.NodeName);
    }

    public void RemoveBlockNode(string nodeName) => Run("blockdev-del", new JsonObject { ["node-name"] = nodeName });

    public IReadOnlyList<BlockNodeInfo> GetBlockNodes()
    {
        var nodes = new List<BlockNodeInfo>();
        foreach (var node in Run("query-named-block-nodes").EnumerateArray())
        {
            // Nodes of drivers ExportPS has no kind for (qcow2, nbd, ... in QEMU) cannot be described by a BlockNodeInfo.
            if (BlockDriverNames.Find(node.GetProperty("drv").GetString()) is not { } driver)
            {
                continue;
            }

            var image = node.GetProperty("image");
            nodes.Add(new BlockNodeInfo
            {
                NodeName = node.GetProperty("node-name").GetString()!,
                Driver = driver,
                Size = image.GetProperty("virtual-size").GetInt64(),
                ReadOnly = node.GetProperty("ro").GetBoolean(),
                Backing = QmpMembers.String(node, "x-backing-node-name"),
                File = QmpMembers.String(node, "x-file-node-name"),
                Path = driver == BlockDriverKind.File ? QmpMembers.String(image, "filename") : null,
                AllocatedBytes = image.TryGetProperty("actual-size", out var actual) ? actual.GetInt64() : 0,
                Compression = QmpMembers.String(node, "x-compression") is { } compression ? QapiName.Parse<BlockCompression>(compression) : BlockCompression.None,
                CacheDirect = node.TryGetProperty("cache", out var cache) && cache.TryGetProperty("direct", out var direct) && direct.GetBoolean(),
                ReadZeroes = node.TryGetProperty("x-read-zeroes", out var zeroes) && zeroes.GetBoolean(),
                Bitmaps = BitmapsOf(node).Select(b => b.GetProperty("name").GetString()!).Order(StringComparer.Ordinal).ToArray(),
            });
        }

        return nodes;
    }

    private static IEnumerable<JsonElement> BitmapsOf(JsonElement node) =>
        node.TryGetProperty("dirty-bitmaps", out var bitmaps) ? bitmaps.EnumerateArray() : [];

    // ---- dirty bitmaps -------------------------------------------------------------------------------------------

    public DirtyBitmapInfo AddDirtyBitmap(DirtyBitmapOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var args = new JsonObject { ["node"] = options.NodeName, ["name"] = options.Name, ["granularity"] = options.Granularity };
        QmpMembers.SetIf(args, "persistent", options.Persistent);
        QmpMembers.SetIf(args, "disabled", options.Disabled);
        Run("block-dirty-bitmap-add", args);
        return GetDirtyBitmaps().Single(b => b.NodeName == options.NodeName && b.Name == options.Name);
    }

    public void RemoveDirtyBitmap(string nodeName, string name) => Run("block-dirty-bitmap-remove", Bitmap(nodeName, name));

    public void ClearDirtyBitmap(string nodeName, string name) => Run("block-dirty-bitmap-clear", Bitmap(nodeName, name));

    public void EnableDirtyBitmap(string nodeName, string name) => Run("block-dirty-bitmap-enable", Bitmap(nodeName, name));

    public void DisableDirtyBitmap(string nodeName, string name) => Run("block-dirty-bitmap-disable", Bitmap(nodeName, name));

    public void MergeDirtyBitmaps(string nodeName, string target, IReadOnlyList<string> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var bitmaps = new JsonArray();
        foreach (string source in sources)
        {
            int slash = source.IndexOf('/');
            bitmaps.Add(slash < 0 ? JsonValue.Create(source) : Bitmap(source[..slash], source[(slash + 1)..]));
        }

        Run("block-dirty-bitmap-merge", new JsonObject { ["node"] = nodeName, ["target"] = target, ["bitmaps"] = bitmaps });
    }

    public IReadOnlyList<DirtyBitmapInfo> GetDirtyBitmaps()
    {
        var list = new List<DirtyBitmapInfo>();
        foreach (var node in Run("query-named-block-nodes").EnumerateArray())
        {
            string nodeName = node.GetProperty("node-name").GetString()!;
            foreach (var bitmap in BitmapsOf(node))
            {
                list.Add(new DirtyBitmapInfo
                {
                    NodeName = nodeName,
                    Name = bitmap.GetProperty("name").GetString()!,
                    Granularity = bitmap.GetProperty("granularity").GetInt64(),
                    Count = bitmap.GetProperty("count").GetInt64(),
                    Enabled = bitmap.GetProperty("recording").GetBoolean(),
                    Persistent = bitmap.GetProperty("persistent").GetBoolean(),
                    Busy = bitmap.GetProperty("busy").GetBoolean(),
                });
            }
        }

        return list;
    }

    private static JsonObject Bitmap(string nodeName, string name) => new() { ["node"] = nodeName, ["name"] = name };

    // ---- iothreads -----------------------------------------------------------------------------------------------

    private const long QemuDefaultPollMaxNs = 32768;

    public IoThreadInfo AddIoThread(IoThreadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var args = new JsonObject { ["qom-type"] = "iothread", ["id"] = options.Id };
        QmpMembers.SetIf(args, "poll-max-ns", options.PollMaxNs);
        QmpMembers.SetIf(args, "poll-grow", options.PollGrow);
        QmpMembers.SetIf(args, "poll-shrink", options.PollShrink);
        Run("object-add", args);
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

    public void RemoveIoThread(string id)
    {
        try
        {
            Run("object-del", new JsonObject { ["id"] = id });
        }
        catch (EngineException e) when (e.ErrorId == ErrorIds.ObjectNotFound)
        {
            // object-del knows objects of every kind; asked for an iothread, the answer is the iothread's error.
            throw new EngineException(ErrorIds.IoThreadNotFound, EngineErrorCategory.NotFound, e.Message, e) { Target = id };
        }
    }

    public IReadOnlyList<IoThreadInfo> GetIoThreads() => Run("query-iothreads").EnumerateArray()
        .Select(t => new IoThreadInfo
        {
            Id = t.GetProperty("id").GetString()!,
            ThreadId = t.GetProperty("thread-id").GetInt32(),
            Users = t.TryGetProperty("x-users", out var users) ? users.GetInt32() : 0,
            PollMaxNs = t.TryGetProperty("poll-max-ns", out var max) ? max.GetInt64() : 0,
            PollGrow = t.TryGetProperty("poll-grow", out var grow) ? grow.GetInt64() : 0,
            PollShrink = t.TryGetProperty("poll-shrink", out var shrink) ? shrink.GetInt64() : 0,
        })
        .ToArray();

    // ---- NBD server ----------------------------------------------------------------------------------------------

    public NbdServerInfo StartNbdServer(NbdServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var address = options.Address;
        var args = new JsonObject
        {
            ["addr"] = address.Kind == SocketAddressKind.Unix
                ? new JsonObject { ["type"] = "unix", ["data"] = new JsonObject { ["path"] = address.Path } }
                : new JsonObject
                {
                    ["type"] = "inet",
                    ["data"] = new JsonObject
                    {
                        ["host"] = address.Host,
                        ["port"] = address.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    },
                },
        };
        QmpMembers.SetIf(args, "tls-creds", options.TlsCreds);
        QmpMembers.SetIf(args, "tls-authz", options.TlsAuthz);
        if (options.MaxConnections != 0)
        {
            args["max-connections"] = options.MaxConnections;
        }

        Run("nbd-server-start", args);
        if (_commands.Contains("x-query-nbd-server"))
        {
            return GetNbdServer();
        }

        // QEMU cannot be asked about its NBD server: describe it from the request.
        return new NbdServerInfo
        {
            Running = true,
            Endpoint = address.ToString(),
            Port = address.Kind == SocketAddressKind.Inet ? address.Port : 0,
            MaxConnections = options.MaxConnections,
            TlsCreds = options.TlsCreds,
            TlsAuthz = options.TlsAuthz,
        };
    }

    /// <summary>nbd-server-stop has no grace period in QMP: the server applies its own.</summary>
    public void StopNbdServer(TimeSpan gracePeriod) => Run("nbd-server-stop");

    /// <summary>An ExportPS extension (x-query-nbd-server); QEMU has no such query and answers QmpCommandNotFound.</summary>
    public NbdServerInfo GetNbdServer()
    {
        var server = Run("x-query-nbd-server");
        return new NbdServerInfo
        {
            Running = server.GetProperty("running").GetBoolean(),
            Endpoint = QmpMembers.String(server, "endpoint"),
            Port = server.GetProperty("port").GetInt32(),
            MaxConnections = server.GetProperty("max-connections").GetUInt32(),
            TlsCreds = QmpMembers.String(server, "tls-creds"),
            TlsAuthz = QmpMembers.String(server, "tls-authz"),
            Connections = server.GetProperty("connections").GetInt32(),
            Exports = server.GetProperty("exports").GetInt32(),
            ClientErrors = server.TryGetProperty("client-errors", out var errors) ? errors.GetInt64() : 0,
            LastClientError = QmpMembers.String(server, "last-client-error"),
        };
    }

    // ---- exports -------------------------------------------------------------------------------------------------

    public BlockExportInfo AddBlockExport(BlockExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var args = new JsonObject
        {
            ["type"] = QapiName.Of(options.Type),
            ["id"] = options.Id,
            ["node-name"] = options.NodeName,
        };
        QmpMembers.SetIf(args, "writable", options.Writable);
        QmpMembers.SetIf(args, "writethrough", options.Writethrough);
        QmpMembers.SetIf(args, "iothread", options.IoThread);
        QmpMembers.SetIf(args, "fixed-iothread", options.FixedIoThread);
        if (options.Type == BlockExportType.Nbd)
        {
            QmpMembers.SetIf(args, "name", options.Nbd.Name);
            QmpMembers.SetIf(args, "description", options.Nbd.Description);
            if (options.Nbd.Bitmaps.Length > 0)
            {
                args["bitmaps"] = QmpMembers.Strings(options.Nbd.Bitmaps);
            }

            QmpMembers.SetIf(args, "allocation-depth", options.Nbd.AllocationDepth);
        }

        Run("block-export-add", args);
        var (info, detailed) = ReadExports().Single(e => e.Info.Id == options.Id);

        // QEMU reports only id, type, node and state: the rest is what was asked for.
        return detailed ? info : info with
        {
            Writable = options.Writable,
            Writethrough = options.Writethrough,
            IoThread = options.IoThread,
            Details = options.Type == BlockExportType.Nbd
                ? new NbdExportDetails { Name = options.Nbd.Name ?? options.NodeName, Description = options.Nbd.Description }
                : null,
        };
    }

    public void RemoveBlockExport(string id, BlockExportRemoveMode mode) =>
        Run("block-export-del", new JsonObject { ["id"] = id, ["mode"] = QapiName.Of(mode) });

    public IReadOnlyList<BlockExportInfo> GetBlockExports() => ReadExports().Select(e => e.Info).ToArray();

    private IEnumerable<(BlockExportInfo Info, bool Detailed)> ReadExports() =>
        Run("query-block-exports").EnumerateArray().Select(BlockExportInfoCodec.Read).ToArray();

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

        var args = new JsonObject
        {
            ["qom-type"] = options.Type == TlsCredsType.Psk ? "tls-creds-psk" : "tls-creds-x509",
            ["id"] = options.Id,
            ["endpoint"] = QapiName.Of(options.Endpoint),
            ["verify-peer"] = options.VerifyPeer,
        };
        QmpMembers.SetIf(args, "dir", options.Dir);
        QmpMembers.SetIf(args, "username", options.Username);
        Run("object-add", args);
        if (_commands.Contains("x-query-tls-creds"))
        {
            return GetTlsCreds().Single(c => c.Id == options.Id);
        }

        // QEMU has no query for credentials: they exist; what they hold is known only to it.
        return new TlsCredsInfo { Id = options.Id, Type = options.Type, Endpoint = options.Endpoint, Dir = options.Dir, VerifyPeer = options.VerifyPeer };
    }

    /// <summary>An ExportPS extension (x-query-tls-creds); QEMU has no such query and answers QmpCommandNotFound.</summary>
    public IReadOnlyList<TlsCredsInfo> GetTlsCreds() => Run("x-query-tls-creds").Deserialize<TlsCredsInfo[]>(QmpJson.RecordOptions)!;

    public AuthzInfo AddAuthz(AuthzOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var args = new JsonObject { ["id"] = options.Id };
        switch (options.Type)
        {
            case AuthzType.Simple:
                args["qom-type"] = "authz-simple";
                QmpMembers.SetIf(args, "identity", options.Identity);
                break;
            case AuthzType.ListFile:
                args["qom-type"] = "authz-listfile";
                QmpMembers.SetIf(args, "filename", options.Filename);
                args["refresh"] = options.Refresh;
                break;
            default:
                args["qom-type"] = "authz-list";
                args["policy"] = QapiName.Of(options.Policy);
                args["rules"] = new JsonArray(options.Rules.Select(r => (JsonNode)new JsonObject
                {
                    ["match"] = r.Match,
                    ["policy"] = QapiName.Of(r.Policy),
                    ["format"] = QapiName.Of(r.Format),
                }).ToArray());
                break;
        }

        Run("object-add", args);
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
    public IReadOnlyList<AuthzInfo> GetAuthz() => Run("x-query-authz").Deserialize<AuthzInfo[]>(QmpJson.RecordOptions)!;

    public void RemoveObject(string id) => Run("object-del", new JsonObject { ["id"] = id });

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
