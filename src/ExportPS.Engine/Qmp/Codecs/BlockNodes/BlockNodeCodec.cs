using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Qmp.Codecs;

/// <summary>
/// blockdev-add's arguments, and an entry of query-named-block-nodes ("x-" members are ExportPS's: the node names of a
/// node's children, its compression, read-zeroes, and the discard and force-share options, which QEMU does not report;
/// a QEMU node reads as having their defaults).
/// </summary>
internal static class BlockNodeCodec
{
    private const string BackingNodeName = "x-backing-node-name";
    private const string FileNodeName = "x-file-node-name";
    private const string Compression = "x-compression";
    private const string ReadZeroes = "x-read-zeroes";
    private const string Discard = "x-discard";
    private const string ForceShare = "x-force-share";
    private const string NbdServer = "x-nbd-server";
    private const string NbdExport = "x-nbd-export";
    private const string NbdConnectionState = "x-nbd-connection-state";
    private const string NbdReconnects = "x-nbd-reconnects";
    private const string NbdConnectionError = "x-nbd-connection-error";
    private const string NbdTlsCreds = "x-nbd-tls-creds";
    private const string NbdTlsHostname = "x-nbd-tls-hostname";
    private const string NbdReconnectDelay = "x-nbd-reconnect-delay";
    private const string NbdOpenTimeout = "x-nbd-open-timeout";
    private const string NbdStatusContext = "x-nbd-x-dirty-bitmap";
    private const string NbdMultiConn = "x-nbd-x-multi-conn";
    private const string NbdConnections = "x-nbd-connections";

    public static JsonObject WriteAdd(BlockNodeOptions options)
    {
        var args = new JsonObject { ["driver"] = BlockDriverNames.Of(options.Driver), ["node-name"] = options.NodeName };
        if (options.Discard != BlockDiscardMode.Ignore)
        {
            args["discard"] = QapiName.Of(options.Discard);
        }

        if (options.CacheDirect || options.NoFlush)
        {
            var cache = new JsonObject();
            QmpMembers.SetIf(cache, "direct", options.CacheDirect);
            QmpMembers.SetIf(cache, "no-flush", options.NoFlush);
            args["cache"] = cache;
        }

        QmpMembers.SetIf(args, "read-only", options.ReadOnly);
        QmpMembers.SetIf(args, "force-share", options.ForceShare);
        if (options.DetectZeroes != BlockDetectZeroes.Off)
        {
            args["detect-zeroes"] = QapiName.Of(options.DetectZeroes);
        }

        QmpMembers.SetIf(args, "backing", options.Backing);

        switch (options.Driver)
        {
            case BlockDriverKind.File:
                args["filename"] = options.Path;
                break;
            case BlockDriverKind.Null:
                QmpMembers.SetIf(args, "size", options.Size);
                args["read-zeroes"] = options.ReadZeroes;
                break;
            case BlockDriverKind.Raw or BlockDriverKind.FaultInject:
                args["file"] = options.File;
                break;
            case BlockDriverKind.Nbd:
                WriteNbd(args, options);
                break;
            default:
                QmpMembers.SetIf(args, "size", options.Size);
                if (options.Compression != BlockCompression.None)
                {
                    args["compression"] = QapiName.Of(options.Compression);
                }

                break;
        }

        return args;
    }

    private static void WriteNbd(JsonObject args, BlockNodeOptions options)
    {
        var server = options.Server!;
        args["server"] = server.Kind == SocketAddressKind.Unix
            ? new JsonObject { ["type"] = "unix", ["path"] = server.Path }
            : new JsonObject { ["type"] = "inet", ["host"] = server.Host, ["port"] = server.Port.ToString(CultureInfo.InvariantCulture) };
        QmpMembers.SetIf(args, "export", options.Export);
        QmpMembers.SetIf(args, "tls-creds", options.TlsCreds);
        QmpMembers.SetIf(args, "tls-hostname", options.TlsHostname);
        QmpMembers.SetIf(args, "x-dirty-bitmap", options.XDirtyBitmap);
        if (options.XMultiConn != 1)
        {
            args["x-multi-conn"] = options.XMultiConn;
        }

        if (options.ReconnectDelay != 0)
        {
            args["reconnect-delay"] = options.ReconnectDelay;
        }

        if (options.OpenTimeout != 0)
        {
            args["open-timeout"] = options.OpenTimeout;
        }
    }

    public static JsonObject WriteInfo(BlockNodeInfo node, string file, IEnumerable<DirtyBitmapInfo> bitmaps, int backingDepth)
    {
        string drv = BlockDriverNames.Of(node.Driver);
        var info = new JsonObject
        {
            ["node-name"] = node.NodeName,
            ["drv"] = drv,
            ["file"] = file,
            ["ro"] = node.ReadOnly,
            ["encrypted"] = false,
            ["detect_zeroes"] = QapiName.Of(node.DetectZeroes),
            ["backing_file_depth"] = backingDepth,
            ["bps"] = 0,
            ["bps_rd"] = 0,
            ["bps_wr"] = 0,
            ["iops"] = 0,
            ["iops_rd"] = 0,
            ["iops_wr"] = 0,
            ["write_threshold"] = 0,
            ["cache"] = new JsonObject { ["writeback"] = true, ["direct"] = node.CacheDirect, ["no-flush"] = node.NoFlush },
            ["image"] = new JsonObject
            {
                ["filename"] = file,
                ["format"] = drv,
                ["virtual-size"] = node.Size,
                ["actual-size"] = node.AllocatedBytes,
            },
        };
        QmpMembers.SetIf(info, BackingNodeName, node.Backing);
        QmpMembers.SetIf(info, FileNodeName, node.File);
        if (node.Driver == BlockDriverKind.Memory)
        {
            info[Compression] = QapiName.Of(node.Compression);
        }

        QmpMembers.SetIf(info, ReadZeroes, node.ReadZeroes);
        info[Discard] = QapiName.Of(node.Discard);
        QmpMembers.SetIf(info, ForceShare, node.ForceShare);
        if (node.ConnectionState is { } state)
        {
            QmpMembers.SetIf(info, NbdServer, node.Server);
            info[NbdExport] = node.Export ?? string.Empty;
            info[NbdConnectionState] = QapiName.Of(state);
            info[NbdReconnects] = node.Reconnects;
            QmpMembers.SetIf(info, NbdConnectionError, node.ConnectionError);
            QmpMembers.SetIf(info, NbdTlsCreds, node.TlsCreds);
            QmpMembers.SetIf(info, NbdTlsHostname, node.TlsHostname);
            info[NbdReconnectDelay] = node.ReconnectDelay;
            info[NbdOpenTimeout] = node.OpenTimeout;
            QmpMembers.SetIf(info, NbdStatusContext, node.XDirtyBitmap);
            info[NbdMultiConn] = node.XMultiConn;
            info[NbdConnections] = node.Connections;
        }

        var dirty = DirtyBitmapCodec.WriteInfos(bitmaps);
        if (dirty.Count > 0)
        {
            info["dirty-bitmaps"] = dirty;
        }

        return info;
    }

    /// <summary>The node of one query-named-block-nodes entry; null for a driver ExportPS has no kind for.</summary>
    public static BlockNodeInfo? ReadInfo(JsonElement node)
    {
        // Nodes of drivers ExportPS has no kind for (qcow2, nbd, ... in QEMU) cannot be described by a BlockNodeInfo.
        if (BlockDriverNames.Find(node.GetProperty("drv").GetString()) is not { } driver)
        {
            return null;
        }

        var image = node.GetProperty("image");
        return new BlockNodeInfo
        {
            NodeName = node.GetProperty("node-name").GetString()!,
            Driver = driver,
            Size = image.GetProperty("virtual-size").GetInt64(),
            ReadOnly = node.GetProperty("ro").GetBoolean(),
            Backing = QmpMembers.String(node, BackingNodeName),
            File = QmpMembers.String(node, FileNodeName),
            Path = driver == BlockDriverKind.File ? QmpMembers.String(image, "filename") : null,
            AllocatedBytes = image.TryGetProperty("actual-size", out var actual) ? actual.GetInt64() : 0,
            Compression = QmpMembers.String(node, Compression) is { } compression ? QapiName.Parse<BlockCompression>(compression) : BlockCompression.None,
            CacheDirect = node.TryGetProperty("cache", out var cache) && QmpMembers.Bool(cache, "direct"),
            NoFlush = node.TryGetProperty("cache", out cache) && QmpMembers.Bool(cache, "no-flush"),
            Discard = QmpMembers.String(node, Discard) is { } discard ? QapiName.Parse<BlockDiscardMode>(discard) : BlockDiscardMode.Ignore,
            DetectZeroes = QmpMembers.String(node, "detect_zeroes") is { } detect ? QapiName.Parse<BlockDetectZeroes>(detect) : BlockDetectZeroes.Off,
            ForceShare = QmpMembers.Bool(node, ForceShare),
            ReadZeroes = QmpMembers.Bool(node, ReadZeroes),
            Bitmaps = DirtyBitmapCodec.ReadInfos(node).Select(b => b.Name).Order(StringComparer.Ordinal).ToArray(),
            Server = QmpMembers.String(node, NbdServer),
            Export = QmpMembers.String(node, NbdExport),
            ConnectionState = QmpMembers.String(node, NbdConnectionState) is { } state ? QapiName.Parse<NbdConnectionState>(state) : null,
            Reconnects = node.TryGetProperty(NbdReconnects, out var reconnects) ? reconnects.GetInt32() : 0,
            ConnectionError = QmpMembers.String(node, NbdConnectionError),
            TlsCreds = QmpMembers.String(node, NbdTlsCreds),
            TlsHostname = QmpMembers.String(node, NbdTlsHostname),
            ReconnectDelay = node.TryGetProperty(NbdReconnectDelay, out var delay) ? delay.GetUInt32() : 0,
            OpenTimeout = node.TryGetProperty(NbdOpenTimeout, out var timeout) ? timeout.GetUInt32() : 0,
            XDirtyBitmap = QmpMembers.String(node, NbdStatusContext),
            XMultiConn = node.TryGetProperty(NbdMultiConn, out var multiConn) ? multiConn.GetUInt32() : 1,
            Connections = node.TryGetProperty(NbdConnections, out var connections) ? connections.GetInt32() : 0,
        };
    }

    /// <summary>QEMU's filename of an nbd node: nbd://host:port/export or nbd+unix:///export?socket=path.</summary>
    public static string? NbdUri(BlockNodeInfo node) => node is { Driver: BlockDriverKind.Nbd, Server: { } server }
        ? server.StartsWith("unix:", StringComparison.Ordinal)
            ? $"nbd+unix:///{node.Export}?socket={server["unix:".Length..]}"
            : $"nbd://{server}/{node.Export}"
        : null;
}
