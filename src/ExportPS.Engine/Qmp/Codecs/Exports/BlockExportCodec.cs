using System.Text.Json;
using System.Text.Json.Nodes;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Qmp.Codecs;

/// <summary>
/// block-export-add's arguments and an entry of query-block-exports. The common members are here; each type's branch
/// and details are in that type's codec. QEMU reports id, type, node-name and shutting-down; the "x-" members are
/// ExportPS's.
/// </summary>
internal static class BlockExportCodec
{
    // The common members of BlockExportOptions, read by BlockExportOptionsReader.
    internal const string Type = "type";
    internal const string Id = "id";
    internal const string FixedIoThread = "fixed-iothread";
    internal const string IoThread = "iothread";
    internal const string NodeName = "node-name";
    internal const string Writable = "writable";
    internal const string Writethrough = "writethrough";

    public static JsonObject WriteAdd(BlockExportOptions options)
    {
        var args = new JsonObject
        {
            [Type] = QapiName.Of(options.Type),
            [Id] = options.Id,
            [NodeName] = options.NodeName,
        };
        QmpMembers.SetIf(args, Writable, options.Writable);
        QmpMembers.SetIf(args, Writethrough, options.Writethrough);
        QmpMembers.SetIf(args, IoThread, options.IoThread);
        QmpMembers.SetIf(args, FixedIoThread, options.FixedIoThread);
        switch (options.Type)
        {
            case BlockExportType.Nbd:
                NbdExportCodec.WriteOptions(args, options.Nbd);
                break;
            case BlockExportType.VhostUserBlk when options.VhostUserBlk is { } vhostUserBlk:
                VhostUserBlkExportCodec.WriteOptions(args, vhostUserBlk);
                break;
            case BlockExportType.Fuse when options.Fuse is { } fuse:
                FuseExportCodec.WriteOptions(args, fuse);
                break;
            case BlockExportType.VduseBlk when options.VduseBlk is { } vduseBlk:
                VduseBlkExportCodec.WriteOptions(args, vduseBlk);
                break;
        }

        return args;
    }

    public static JsonObject WriteInfo(BlockExportInfo export)
    {
        var info = new JsonObject
        {
            [Id] = export.Id,
            [Type] = QapiName.Of(export.Type),
            [NodeName] = export.NodeName,
            ["shutting-down"] = export.ShuttingDown,
            ["x-writable"] = export.Writable,
            ["x-writethrough"] = export.Writethrough,
            ["x-clients"] = export.Clients,
        };
        QmpMembers.SetIf(info, "x-iothread", export.IoThread);
        switch (export.Details)
        {
            case NbdExportDetails nbd:
                NbdExportCodec.WriteDetails(info, nbd);
                break;
            case VhostUserBlkExportDetails vhostUserBlk:
                VhostUserBlkExportCodec.WriteDetails(info, vhostUserBlk);
                break;
            case FuseExportDetails fuse:
                FuseExportCodec.WriteDetails(info, fuse);
                break;
        }

        return info;
    }

    /// <summary>The entry, and whether the server is an ExportPS one (it reports the "x-" members).</summary>
    public static (BlockExportInfo Info, bool Detailed) ReadInfo(JsonElement e)
    {
        var type = QapiName.Parse<BlockExportType>(e.GetProperty(Type).GetString()!);
        bool detailed = e.TryGetProperty("x-clients", out var clients);
        var info = new BlockExportInfo
        {
            Id = e.GetProperty(Id).GetString()!,
            Type = type,
            NodeName = e.GetProperty(NodeName).GetString()!,
            ShuttingDown = e.GetProperty("shutting-down").GetBoolean(),
            Writable = QmpMembers.Bool(e, "x-writable"),
            Writethrough = QmpMembers.Bool(e, "x-writethrough"),
            IoThread = QmpMembers.String(e, "x-iothread"),
            Clients = detailed ? clients.GetInt32() : 0,
            Details = detailed ? ReadDetails(type, e) : null,
        };
        return (info, detailed);
    }

    private static BlockExportDetails? ReadDetails(BlockExportType type, JsonElement e) => type switch
    {
        BlockExportType.Nbd => NbdExportCodec.ReadDetails(e),
        BlockExportType.VhostUserBlk => VhostUserBlkExportCodec.ReadDetails(e),
        BlockExportType.Fuse => FuseExportCodec.ReadDetails(e),
        _ => null,
    };
}
