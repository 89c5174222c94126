using System.Text.Json.Nodes;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qapi;
using ExportPS.Engine.Qmp.Codecs;

namespace ExportPS.Engine.Qmp;

/// <summary>
/// The QMP commands ExportPS serves, each named and shaped as in QEMU's schema, translated to one engine call.
/// Every handler reads all of its arguments (and rejects unknown ones) before it changes anything, as QEMU does.
/// Members named "x-..." in replies are ExportPS extensions (QEMU's prefix for non-stable members); QEMU clients ignore them.
/// </summary>
internal sealed class QmpCommands
{
    private readonly IExportEngine _engine;
    private readonly TimeSpan _nbdStopGracePeriod;
    private readonly Dictionary<string, Func<OptionReader, JsonNode>> _handlers;

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
            [BlockFaultCodec.SetCommand] = BlockFaultSet,
            [BlockFaultCodec.ClearCommand] = BlockFaultClear,
            [BlockFaultCodec.QueryCommand] = QueryBlockFaults,
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
            ["netdev_add"] = NetdevAdd,
            ["netdev_del"] = NetdevDel,
            ["set_link"] = SetLink,
            ["announce-self"] = AnnounceSelf,
            [NetdevCodec.QueryCommand] = QueryNetdevs,
            [NetCaptureCodec.QueryCommand] = QueryNetCaptures,
        };
    }

    /// <summary>The commands of this table; the session adds qmp_capabilities, query-commands and quit.</summary>
    public IEnumerable<string> Names => _handlers.Keys;

    public bool TryGet(string name, out Func<OptionReader, JsonNode> handler) => _handlers.TryGetValue(name, out handler!);

    private static JsonObject Empty() => [];

    // ---- block nodes ---------------------------------------------------------------------------------------------

    private JsonNode BlockdevAdd(OptionReader args)
    {
        _engine.AddBlockNode(BlockNodeOptionsReader.Read(args));
        return Empty();
    }

    private JsonNode BlockdevDel(OptionReader args)
    {
        string nodeName = args.RequireString("node-name");
        args.RejectUnexpected();
        _engine.RemoveBlockNode(nodeName);
        return Empty();
    }

    private JsonNode QueryNamedBlockNodes(OptionReader args)
    {
        // flat only matters for nested child images, which ExportPS nodes never report.
        args.Bool("flat");
        args.RejectUnexpected();
        var nodes = _engine.GetBlockNodes();
        var bitmaps = _engine.GetDirtyBitmaps().ToLookup(b => b.NodeName, StringComparer.Ordinal);
        var byName = nodes.ToDictionary(n => n.NodeName, StringComparer.Ordinal);
        var list = new JsonArray();
        foreach (var node in nodes)
        {
            list.Add(BlockNodeCodec.WriteInfo(node, FileName(node, byName), bitmaps[node.NodeName], BackingDepth(node, byName)));
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

    // QEMU's "file": the image path, the path of a format node's file child, an nbd node's URI, else a pseudo-URL of the driver.
    private static string FileName(BlockNodeInfo node, Dictionary<string, BlockNodeInfo> byName)
    {
        if (BlockNodeCodec.NbdUri(node) is { } uri)
        {
            return uri;
        }

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

        return $"{BlockDriverNames.Of(node.Driver)}://";
    }

    // ---- dirty bitmaps -------------------------------------------------------------------------------------------

    private JsonNode BitmapAdd(OptionReader args)
    {
        var options = new DirtyBitmapOptions
        {
            NodeName = args.RequireString("node"),
            Name = args.RequireString("name"),
            Granularity = args.UInt32("granularity") ?? DirtyBitmapOptions.DefaultGranularity,
            Persistent = args.Bool("persistent") ?? false,
            Disabled = args.Bool("disabled") ?? false,
        };
        args.RejectUnexpected();
        _engine.AddDirtyBitmap(options);
        return Empty();
    }

    private static JsonNode OnBitmap(OptionReader args, Action<string, string> change)
    {
        string node = args.RequireString("node");
        string name = args.RequireString("name");
        args.RejectUnexpected();
        change(node, name);
        return Empty();
    }

    private JsonNode BitmapMerge(OptionReader args)
    {
        string node = args.RequireString("node");
        string target = args.RequireString("target");
        var sources = args.List("bitmaps", "BlockDirtyBitmapOrStr", name => name, BlockExportOptionsReader.BitmapReference) ?? throw args.Missing("bitmaps");
        args.RejectUnexpected();
        _engine.MergeDirtyBitmaps(node, target, sources);
        return Empty();
    }

    // ---- objects -------------------------------------------------------------------------------------------------

    private JsonNode ObjectAdd(OptionReader args)
    {
        UserObjectOptionsReader.Read(args).AddTo(_engine);
        return Empty();
    }

    private JsonNode ObjectDel(OptionReader args)
    {
        string id = args.RequireString("id");
        args.RejectUnexpected();
        _engine.RemoveObject(id);
        return Empty();
    }

    /// <summary>ExportPS extension: the TLS credentials objects, as the engine describes them.</summary>
    private JsonNode QueryTlsCreds(OptionReader args)
    {
        args.RejectUnexpected();
        return new JsonArray(_engine.GetTlsCreds().Select(c => (JsonNode)TlsCredsCodec.WriteInfo(c)).ToArray());
    }

    /// <summary>ExportPS extension: the authorization objects, as the engine describes them.</summary>
    private JsonNode QueryAuthz(OptionReader args)
    {
        args.RejectUnexpected();
        return new JsonArray(_engine.GetAuthz().Select(a => (JsonNode)AuthzCodec.WriteInfo(a)).ToArray());
    }

    private JsonNode QueryIoThreads(OptionReader args)
    {
        args.RejectUnexpected();
        return new JsonArray(_engine.GetIoThreads().Select(t => (JsonNode)IoThreadCodec.WriteInfo(t)).ToArray());
    }

    // ---- fault rules of x-fault-inject nodes -----------------------------------------------------------------------

    private JsonNode BlockFaultSet(OptionReader args)
    {
        _engine.SetBlockFault(BlockFaultCodec.ReadSet(args));
        return Empty();
    }

    private JsonNode BlockFaultClear(OptionReader args)
    {
        var (nodeName, operation) = BlockFaultCodec.ReadClear(args);
        _engine.ClearBlockFault(nodeName, operation);
        return Empty();
    }

    private JsonNode QueryBlockFaults(OptionReader args)
    {
        args.RejectUnexpected();
        return new JsonArray(_engine.GetBlockFaults().Select(f => (JsonNode)BlockFaultCodec.WriteInfo(f)).ToArray());
    }

    // ---- NBD server ----------------------------------------------------------------------------------------------

    private JsonNode NbdServerStart(OptionReader args)
    {
        _engine.StartNbdServer(NbdServerOptionsReader.Read(args, legacyAddress: true));
        return Empty();
    }

    private JsonNode NbdServerStop(OptionReader args)
    {
        args.RejectUnexpected();
        _engine.StopNbdServer(_nbdStopGracePeriod);
        return Empty();
    }

    private JsonNode QueryNbdServer(OptionReader args)
    {
        args.RejectUnexpected();
        return NbdServerCodec.WriteInfo(_engine.GetNbdServer());
    }

    // ---- exports -------------------------------------------------------------------------------------------------

    private JsonNode NbdServerAdd(OptionReader args)
    {
        string? name = args.String("name");
        string? description = args.String("description");
        string device = args.RequireString("device");
        bool writable = args.Bool("writable") ?? false;
        string? bitmap = args.String("bitmap");
        args.RejectUnexpected();

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

    /// <summary>The export the legacy command added has its name as id.</summary>
    private JsonNode NbdServerRemove(OptionReader args) => RemoveBlockExport(args, "name");

    private JsonNode BlockExportAdd(OptionReader args)
    {
        _engine.AddBlockExport(BlockExportOptionsReader.Read(args));
        return Empty();
    }

    private JsonNode BlockExportDel(OptionReader args) => RemoveBlockExport(args, "id");

    /// <summary>nbd-server-remove and block-export-del: the export named by <paramref name="idKey"/>, removed safe or hard.</summary>
    private JsonNode RemoveBlockExport(OptionReader args, string idKey)
    {
        string id = args.RequireString(idKey);
        var mode = args.Enum<BlockExportRemoveMode>("mode") ?? BlockExportRemoveMode.Safe;
        args.RejectUnexpected();
        _engine.RemoveBlockExport(id, mode);
        return Empty();
    }

    private JsonNode QueryBlockExports(OptionReader args)
    {
        args.RejectUnexpected();
        var list = new JsonArray();
        foreach (var export in _engine.GetBlockExports())
        {
            list.Add(BlockExportCodec.WriteInfo(export));
        }

        return list;
    }

    // ---- netdevs -------------------------------------------------------------------------------------------------

    private JsonNode NetdevAdd(OptionReader args)
    {
        _engine.AddNetdev(NetdevOptionsReader.Read(args));
        return Empty();
    }

    private JsonNode NetdevDel(OptionReader args)
    {
        string id = args.RequireString("id");
        args.RejectUnexpected();
        _engine.RemoveNetdev(id);
        return Empty();
    }

    private JsonNode SetLink(OptionReader args)
    {
        string name = args.RequireString("name");
        bool up = args.Bool("up") ?? throw args.Missing("up");
        args.RejectUnexpected();
        _engine.SetLink(name, up);
        return Empty();
    }

    /// <summary>announce-self; the addresses to announce are ExportPS's x-mac-addresses (it has no NICs of its own).</summary>
    private JsonNode AnnounceSelf(OptionReader args)
    {
        _engine.Announce(NetdevCodec.ReadAnnounce(args));
        return Empty();
    }

    /// <summary>ExportPS extension: every netdev with its hub, peer, link state and counters.</summary>
    private JsonNode QueryNetdevs(OptionReader args)
    {
        args.RejectUnexpected();
        return new JsonArray(_engine.GetNetdevs().Select(n => (JsonNode)NetdevCodec.WriteInfo(n)).ToArray());
    }

    /// <summary>ExportPS extension: every capture (filter-dump object) with its netdev, file and frame count.</summary>
    private JsonNode QueryNetCaptures(OptionReader args)
    {
        args.RejectUnexpected();
        return new JsonArray(_engine.GetNetCaptures().Select(c => (JsonNode)NetCaptureCodec.WriteInfo(c)).ToArray());
    }
}
