using System.Text.Json;
using System.Text.Json.Nodes;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Qmp;

/// <summary>
/// The QMP commands ExportPS serves, each named and shaped as in QEMU's schema, translated to one engine call.
/// Every handler reads all of its arguments (and rejects unknown ones) before it changes anything, as QEMU does.
/// Members named "x-..." in replies are ExportPS extensions (QEMU's prefix for non-stable members); QEMU clients ignore them.
/// </summary>
internal sealed class QmpCommands
{
    private static readonly string[] UnsupportedObjectTypes =
        ["tls-creds-anon", "authz-pam", "secret"];

    private readonly IExportEngine _engine;
    private readonly TimeSpan _nbdStopGracePeriod;
    private readonly Dictionary<string, Func<QmpArguments, JsonNode>> _handlers;

    public QmpCommands(IExportEngine engine, TimeSpan nbdStopGracePeriod)
    {
        _engine = engine;
        _nbdStopGracePeriod = nbdStopGracePeriod;
        _handlers = new(StringComparer.Ordinal)
        {
            ["blockdev-add"] = BlockdevAdd,
            ["blockdev-del"] = BlockdevDel,
            ["query-named-block-nodes"] = QueryNamedBlockNodes,
            ["block-dirty-bitmap-add"] = BitmapAdd,
            ["block-dirty-bitmap-remove"] = a => OnBitmap(a, _engine.RemoveDirtyBitmap),
            ["block-dirty-bitmap-clear"] = a => OnBitmap(a, _engine.ClearDirtyBitmap),
            ["block-dirty-bitmap-enable"] = a => OnBitmap(a, _engine.EnableDirtyBitmap),
            ["block-dirty-bitmap-disable"] = a => OnBitmap(a, _engine.DisableDirtyBitmap),
            ["block-dirty-bitmap-merge"] = BitmapMerge,
            ["object-add"] = ObjectAdd,
            ["object-del"] = ObjectDel,
            ["query-iothreads"] = QueryIoThreads,
            ["x-query-tls-creds"] = QueryTlsCreds,
            ["x-query-authz"] = QueryAuthz,
            ["nbd-server-start"] = NbdServerStart,
            ["nbd-server-stop"] = NbdServerStop,
            ["nbd-server-add"] = NbdServerAdd,
            ["nbd-server-remove"] = NbdServerRemove,
            ["x-query-nbd-server"] = QueryNbdServer,
            ["block-export-add"] = BlockExportAdd,
            ["block-export-del"] = BlockExportDel,
            ["query-block-exports"] = QueryBlockExports,
        };
    }

    /// <summary>The commands of this table; the session adds qmp_capabilities, query-commands and quit.</summary>
    public IEnumerable<string> Names => _handlers.Keys;

    public bool TryGet(string name, out Func<QmpArguments, JsonNode> handler) => _handlers.TryGetValue(name, out handler!);

    private static JsonObject Empty() => [];

    // ---- block nodes ---------------------------------------------------------------------------------------------

    private JsonNode BlockdevAdd(QmpArguments args)
    {
        string driverName = args.RequiredString("driver");
        BlockDriverKind driver = driverName switch
        {
            "file" => BlockDriverKind.File,
            "null-co" or "null-aio" or "null" => BlockDriverKind.Null,
            "memory" => BlockDriverKind.Memory,
            "raw" => BlockDriverKind.Raw,
            _ => throw args.DoesNotAccept("driver", driverName),
        };
        string? nodeName = args.OptionalString("node-name");
        var options = new BlockNodeOptions
        {
            NodeName = nodeName ?? string.Empty,
            Driver = driver,
            ReadOnly = args.OptionalBool("read-only") ?? false,
            CacheDirect = ReadCacheDirect(args),

            // An ExportPS extension for every driver (QEMU has it only on image formats): reads of unallocated ranges fall through.
            Backing = args.OptionalString("backing"),
        };
        switch (driver)
        {
            case BlockDriverKind.File:
                options = options with { Path = args.RequiredString("filename") };
                break;
            case BlockDriverKind.Null:
                options = options with { Size = args.OptionalInt("size", 0, long.MaxValue) ?? BlockNodeOptions.DefaultNullSize };

                // Absent read-zeroes keeps the engine's default (zeroes): QEMU leaves the content unspecified then.
                if (args.OptionalBool("read-zeroes") is { } readZeroes)
                {
                    options = options with { ReadZeroes = readZeroes };
                }

                break;
            case BlockDriverKind.Raw:
                // QEMU's BlockdevRef may also be an inline definition; ExportPS takes the name of an existing node.
                options = options with { File = args.RequiredString("file") };
                break;
            default:
                options = options with
                {
                    Size = args.RequiredInt("size", 0, long.MaxValue),
                    Compression = args.OptionalEnum<BlockCompression>("compression") ?? BlockCompression.None,
                };
                break;
        }

        args.Finish();
        if (nodeName is null)
        {
            throw QmpException.Generic("'node-name' must be specified for the root node");
        }

        _engine.AddBlockNode(options);
        return Empty();
    }

    private static bool ReadCacheDirect(QmpArguments args)
    {
        if (args.OptionalObject("cache") is not { } cache)
        {
            return false;
        }

        bool direct = cache.OptionalBool("direct") ?? false;
        cache.Finish();
        return direct;
    }

    private JsonNode BlockdevDel(QmpArguments args)
    {
        string nodeName = args.RequiredString("node-name");
        args.Finish();
        _engine.RemoveBlockNode(nodeName);
        return Empty();
    }

    private JsonNode QueryNamedBlockNodes(QmpArguments args)
    {
        // flat only matters for nested child images, which ExportPS nodes never report.
        args.OptionalBool("flat");
        args.Finish();
        var nodes = _engine.GetBlockNodes();
        var bitmaps = _engine.GetDirtyBitmaps().ToLookup(b => b.NodeName, StringComparer.Ordinal);
        var byName = nodes.ToDictionary(n => n.NodeName, StringComparer.Ordinal);
        var list = new JsonArray();
        foreach (var node in nodes)
        {
            list.Add(DescribeNode(node, FileName(node, byName), bitmaps[node.NodeName], BackingDepth(node, byName)));
        }

        return list;
    }

    private static int BackingDepth(BlockNodeInfo node, Dictionary<string, BlockNodeInfo> byName)
    {
        int depth = 0;
        for (string? next = node.Backing; next is not null && depth < byName.Count; next = byName.GetValueOrDefault(next)?.Backing)
        {
            depth++;
        }

        return depth;
    }

    // QEMU's "file": the image path, the path of a format node's file child, else a pseudo-URL of the driver.
    private static string FileName(BlockNodeInfo node, Dictionary<string, BlockNodeInfo> byName)
    {
        for (int hops = 0; hops <= byName.Count; hops++)
        {
            if (node.Driver == BlockDriverKind.File)
            {
                return node.Path ?? string.Empty;
            }

            if (node.File is null || !byName.TryGetValue(node.File, out var child))
            {
                break;
            }

            node = child;
        }

        return $"{DriverName(node.Driver)}://";
    }

    private static JsonObject DescribeNode(BlockNodeInfo node, string file, IEnumerable<DirtyBitmapInfo> bitmaps, int backingDepth)
    {
        string drv = DriverName(node.Driver);
        var info = new JsonObject
        {
            ["node-name"] = node.NodeName,
            ["drv"] = drv,
            ["file"] = file,
            ["ro"] = node.ReadOnly,
            ["encrypted"] = false,
            ["detect_zeroes"] = "off",
            ["backing_file_depth"] = backingDepth,
            ["bps"] = 0,
            ["bps_rd"] = 0,
            ["bps_wr"] = 0,
            ["iops"] = 0,
            ["iops_rd"] = 0,
            ["iops_wr"] = 0,
            ["write_threshold"] = 0,
            ["cache"] = new JsonObject { ["writeback"] = true, ["direct"] = node.CacheDirect, ["no-flush"] = false },
            ["image"] = new JsonObject
            {
                ["filename"] = file,
                ["format"] = drv,
                ["virtual-size"] = node.Size,
                ["actual-size"] = node.AllocatedBytes,
            },
        };
        if (node.Backing is not null)
        {
            info["x-backing-node-name"] = node.Backing;
        }

        if (node.File is not null)
        {
            info["x-file-node-name"] = node.File;
        }

        if (node.Driver == BlockDriverKind.Memory)
        {
            info["x-compression"] = QapiName.Of(node.Compression);
        }

        if (node.ReadZeroes)
        {
            info["x-read-zeroes"] = true;
        }

        var dirty = new JsonArray();
        foreach (var bitmap in bitmaps)
        {
            dirty.Add(new JsonObject
            {
                ["name"] = bitmap.Name,
                ["recording"] = bitmap.Enabled,
                ["persistent"] = bitmap.Persistent,
                ["busy"] = bitmap.Busy,
                ["granularity"] = bitmap.Granularity,
                ["count"] = bitmap.Count,
            });
        }

        if (dirty.Count > 0)
        {
            info["dirty-bitmaps"] = dirty;
        }

        return info;
    }

    /// <summary>QEMU's driver name for a node (drv).</summary>
    public static string DriverName(BlockDriverKind driver) => driver switch
    {
        BlockDriverKind.Null => "null-co",
        _ => QapiName.Of(driver),
    };

    // ---- dirty bitmaps -------------------------------------------------------------------------------------------

    private JsonNode BitmapAdd(QmpArguments args)
    {
        var options = new DirtyBitmapOptions
        {
            NodeName = args.RequiredString("node"),
            Name = args.RequiredString("name"),
            Granularity = args.OptionalInt("granularity", 0, uint.MaxValue) ?? DirtyBitmapOptions.DefaultGranularity,
            Persistent = args.OptionalBool("persistent") ?? false,
            Disabled = args.OptionalBool("disabled") ?? false,
        };
        args.Finish();
        _engine.AddDirtyBitmap(options);
        return Empty();
    }

    private static JsonNode OnBitmap(QmpArguments args, Action<string, string> change)
    {
        string node = args.RequiredString("node");
        string name = args.RequiredString("name");
        args.Finish();
        change(node, name);
        return Empty();
    }

    private JsonNode BitmapMerge(QmpArguments args)
    {
        string node = args.RequiredString("node");
        string target = args.RequiredString("target");
        var sources = args.OptionalList("bitmaps", ReadBitmapReference) ?? throw args.Missing("bitmaps");
        args.Finish();
        _engine.MergeDirtyBitmaps(node, target, sources);
        return Empty();
    }

    /// <summary>BlockDirtyBitmapOrStr: "name" (on the command's node) or {node, name}, which the engine spells "node/name".</summary>
    private static string ReadBitmapReference(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return element.GetString()!;
            case JsonValueKind.Object:
                var reference = QmpArguments.Nested(element, path);
                string node = reference.RequiredString("node");
                string name = reference.RequiredString("name");
                reference.Finish();
                return $"{node}/{name}";
            default:
                throw QmpArguments.WrongTypeAt(path, "BlockDirtyBitmapOrStr");
        }
    }

    // ---- objects -------------------------------------------------------------------------------------------------

    private JsonNode ObjectAdd(QmpArguments args)
    {
        string type = args.RequiredString("qom-type");
        string id = args.RequiredString("id");
        switch (type)
        {
            case "iothread":
                AddIoThread(args, id);
                break;
            case "tls-creds-x509":
                AddTlsCreds(args, id, TlsCredsType.X509);
                break;
            case "tls-creds-psk":
                AddTlsCreds(args, id, TlsCredsType.Psk);
                break;
            case "authz-list":
                AddAuthzList(args, id);
                break;
            case "authz-simple":
                var simple = new AuthzOptions { Type = AuthzType.Simple, Id = id, Identity = args.RequiredString("identity") };
                args.Finish();
                _engine.AddAuthz(simple);
                break;
            case "authz-listfile":
                var listFile = new AuthzOptions
                {
                    Type = AuthzType.ListFile,
                    Id = id,
                    Filename = args.RequiredString("filename"),
                    Refresh = args.OptionalBool("refresh") ?? true,
                };
                args.Finish();
                _engine.AddAuthz(listFile);
                break;
            default:
                throw UnsupportedObjectTypes.Contains(type)
                    ? QmpException.Generic($"Object type '{type}' is not supported by ExportPS yet")
                    : args.DoesNotAccept("qom-type", type);
        }

        return Empty();
    }

    private void AddIoThread(QmpArguments args, string id)
    {
        // QEMU's event-loop tuning knobs: accepted for compatibility; ExportPS workers do not poll.
        args.OptionalInt("poll-max-ns", 0, long.MaxValue);
        args.OptionalInt("poll-grow", 0, long.MaxValue);
        args.OptionalInt("poll-shrink", 0, long.MaxValue);
        args.OptionalInt("aio-max-batch", 0, long.MaxValue);
        args.Finish();
        _engine.AddIoThread(id);
    }

    /// <summary>TlsCredsX509Properties / TlsCredsPskProperties; the engine refuses PSK with its NotSupported error.</summary>
    private void AddTlsCreds(QmpArguments args, string id, TlsCredsType type)
    {
        var options = new TlsCredsOptions
        {
            Type = type,
            Id = id,
            Dir = args.OptionalString("dir"),
            // QEMU's default endpoint is client (the engine's, for cmdlets, is server).
            Endpoint = args.OptionalEnum<TlsCredsEndpoint>("endpoint") ?? TlsCredsEndpoint.Client,
            VerifyPeer = args.OptionalBool("verify-peer") ?? true,
            Username = type == TlsCredsType.Psk ? args.OptionalString("username") : null,
        };
        args.Finish();
        _engine.AddTlsCreds(options);
    }

    /// <summary>AuthZListProperties: policy (default deny) and rules [{match, policy, format}] (format default exact).</summary>
    private void AddAuthzList(QmpArguments args, string id)
    {
        var options = new AuthzOptions
        {
            Type = AuthzType.List,
            Id = id,
            Policy = args.OptionalEnum<AuthzPolicy>("policy") ?? AuthzPolicy.Deny,
            Rules = args.OptionalList("rules", ReadAuthzRule)?.ToArray() ?? [],
        };
        args.Finish();
        _engine.AddAuthz(options);
    }

    private static AuthzListRule ReadAuthzRule(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw QmpArguments.WrongTypeAt(path, "object");
        }

        var rule = QmpArguments.Nested(element, path);
        var result = new AuthzListRule
        {
            Match = rule.RequiredString("match"),
            Policy = rule.RequiredEnum<AuthzPolicy>("policy"),
            Format = rule.OptionalEnum<AuthzListFormat>("format") ?? AuthzListFormat.Exact,
        };
        rule.Finish();
        return result;
    }

    private JsonNode ObjectDel(QmpArguments args)
    {
        string id = args.RequiredString("id");
        args.Finish();
        _engine.RemoveObject(id);
        return Empty();
    }

    /// <summary>ExportPS extension: the TLS credentials objects, as the engine describes them.</summary>
    private JsonNode QueryTlsCreds(QmpArguments args)
    {
        args.Finish();
        return JsonSerializer.SerializeToNode(_engine.GetTlsCreds(), QmpJson.RecordOptions)!;
    }

    /// <summary>ExportPS extension: the authorization objects, as the engine describes them.</summary>
    private JsonNode QueryAuthz(QmpArguments args)
    {
        args.Finish();
        return JsonSerializer.SerializeToNode(_engine.GetAuthz(), QmpJson.RecordOptions)!;
    }

    private JsonNode QueryIoThreads(QmpArguments args)
    {
        args.Finish();
        var list = new JsonArray();
        foreach (var thread in _engine.GetIoThreads())
        {
            list.Add(new JsonObject
            {
                ["id"] = thread.Id,
                ["thread-id"] = thread.ThreadId,
                ["poll-max-ns"] = 0,
                ["poll-grow"] = 0,
                ["poll-shrink"] = 0,
                ["aio-max-batch"] = 0,
                ["x-users"] = thread.Users,
            });
        }

        return list;
    }

    // ---- NBD server ----------------------------------------------------------------------------------------------

    private JsonNode NbdServerStart(QmpArguments args)
    {
        var address = ReadLegacySocketAddress(args.RequiredObject("addr"));
        var options = new NbdServerOptions
        {
            Address = address,
            TlsCreds = args.OptionalString("tls-creds"),
            TlsAuthz = args.OptionalString("tls-authz"),
            MaxConnections = (uint)(args.OptionalInt("max-connections", 0, uint.MaxValue) ?? 0),
        };
        args.Finish();
        _engine.StartNbdServer(options);
        return Empty();
    }

    /// <summary>SocketAddressLegacy: {type: inet, data: {host, port}} or {type: unix, data: {path}}; port is a string.</summary>
    private static SocketAddressOptions ReadLegacySocketAddress(QmpArguments addr)
    {
        string type = addr.RequiredString("type");
        if (type is "vsock" or "fd")
        {
            throw QmpException.Generic($"Socket address type '{type}' is not supported by ExportPS");
        }

        if (type is not ("inet" or "unix"))
        {
            throw addr.DoesNotAccept("type", type);
        }

        var data = addr.RequiredObject("data");
        addr.Finish();
        SocketAddressOptions result;
        if (type == "unix")
        {
            result = SocketAddressOptions.Unix(data.RequiredString("path"));
        }
        else
        {
            string host = data.RequiredString("host");
            string port = data.RequiredString("port");
            if (!int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int number)
                || number > ushort.MaxValue)
            {
                throw QmpException.Generic($"Port '{port}' is not a number from 0 to 65535 (ExportPS does not resolve service names)");
            }

            result = SocketAddressOptions.Inet(host, number);
        }

        data.Finish();
        return result;
    }

    private JsonNode NbdServerStop(QmpArguments args)
    {
        args.Finish();
        _engine.StopNbdServer(_nbdStopGracePeriod);
        return Empty();
    }

    private JsonNode QueryNbdServer(QmpArguments args)
    {
        args.Finish();
        var server = _engine.GetNbdServer();
        var info = new JsonObject
        {
            ["running"] = server.Running,
            ["port"] = server.Port,
            ["max-connections"] = server.MaxConnections,
            ["connections"] = server.Connections,
            ["exports"] = server.Exports,
        };
        AddIfSet(info, "endpoint", server.Endpoint);
        AddIfSet(info, "tls-creds", server.TlsCreds);
        AddIfSet(info, "tls-authz", server.TlsAuthz);
        return info;
    }

    // ---- exports -------------------------------------------------------------------------------------------------

    private JsonNode NbdServerAdd(QmpArguments args)
    {
        string? name = args.OptionalString("name");
        string? description = args.OptionalString("description");
        string device = args.RequiredString("device");
        bool writable = args.OptionalBool("writable") ?? false;
        string? bitmap = args.OptionalString("bitmap");
        args.Finish();

        // As in QEMU, the export name doubles as the export id.
        _engine.AddBlockExport(new BlockExportOptions
        {
            Type = BlockExportType.Nbd,
            Id = name ?? device,
            NodeName = device,
            Writable = writable,
            Nbd = new NbdExportOptions { Name = name, Description = description, Bitmaps = bitmap is null ? [] : [bitmap] },
        });
        return Empty();
    }

    private JsonNode NbdServerRemove(QmpArguments args)
    {
        string name = args.RequiredString("name");
        var mode = args.OptionalEnum<BlockExportRemoveMode>("mode") ?? BlockExportRemoveMode.Safe;
        args.Finish();
        _engine.RemoveBlockExport(name, mode);
        return Empty();
    }

    private JsonNode BlockExportAdd(QmpArguments args)
    {
        var type = args.RequiredEnum<BlockExportType>("type");
        string id = args.RequiredString("id");
        bool fixedIoThread = args.OptionalBool("fixed-iothread") ?? false;
        string? ioThread = args.OptionalString("iothread");
        string nodeName = args.RequiredString("node-name");
        bool writable = args.OptionalBool("writable") ?? false;
        bool writethrough = args.OptionalBool("writethrough") ?? false;
        if (type != BlockExportType.Nbd)
        {
            throw QmpException.Generic($"Export type '{QapiName.Of(type)}' is not supported by ExportPS yet");
        }

        var nbd = new NbdExportOptions
        {
            Name = args.OptionalString("name"),
            Description = args.OptionalString("description"),
            Bitmaps = args.OptionalList("bitmaps", ReadBitmapReference)?.ToArray() ?? [],
            AllocationDepth = args.OptionalBool("allocation-depth") ?? false,
        };
        args.Finish();
        _engine.AddBlockExport(new BlockExportOptions
        {
            Type = type,
            Id = id,
            NodeName = nodeName,
            Writable = writable,
            Writethrough = writethrough,
            IoThread = ioThread,
            FixedIoThread = fixedIoThread,
            Nbd = nbd,
        });
        return Empty();
    }

    private JsonNode BlockExportDel(QmpArguments args)
    {
        string id = args.RequiredString("id");
        var mode = args.OptionalEnum<BlockExportRemoveMode>("mode") ?? BlockExportRemoveMode.Safe;
        args.Finish();
        _engine.RemoveBlockExport(id, mode);
        return Empty();
    }

    private JsonNode QueryBlockExports(QmpArguments args)
    {
        args.Finish();
        var list = new JsonArray();
        foreach (var export in _engine.GetBlockExports())
        {
            var info = new JsonObject
            {
                ["id"] = export.Id,
                ["type"] = QapiName.Of(export.Type),
                ["node-name"] = export.NodeName,
                ["shutting-down"] = export.ShuttingDown,
                ["x-writable"] = export.Writable,
                ["x-writethrough"] = export.Writethrough,
                ["x-clients"] = export.Clients,
            };
            AddIfSet(info, "x-iothread", export.IoThread);
            AddIfSet(info, "x-name", export.Name);
            AddIfSet(info, "x-description", export.Description);
            if (export.Bitmaps.Length > 0)
            {
                info["x-bitmaps"] = new JsonArray(export.Bitmaps.Select(b => (JsonNode)JsonValue.Create(b)).ToArray());
            }

            if (export.AllocationDepth)
            {
                info["x-allocation-depth"] = true;
            }

            list.Add(info);
        }

        return list;
    }

    private static void AddIfSet(JsonObject info, string name, string? value)
    {
        if (value is not null)
        {
            info[name] = value;
        }
    }
}
