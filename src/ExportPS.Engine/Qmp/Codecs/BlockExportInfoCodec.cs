using System.Text.Json;
using System.Text.Json.Nodes;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Qmp.Codecs;

/// <summary>
/// One entry of query-block-exports, written by the server and read by the client. QEMU reports id, type, node-name and
/// shutting-down; the "x-" members are ExportPS's, and each type's details are written by that type's codec.
/// </summary>
internal static class BlockExportInfoCodec
{
    public static JsonObject Write(BlockExportInfo export)
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
        QmpMembers.SetIf(info, "x-iothread", export.IoThread);
        switch (export.Details)
        {
            case NbdExportDetails nbd:
                NbdExportDetailsCodec.Write(info, nbd);
                break;
        }

        return info;
    }

    /// <summary>The entry, and whether the server is an ExportPS one (it reports the "x-" members).</summary>
    public static (BlockExportInfo Info, bool Detailed) Read(JsonElement e)
    {
        var type = QapiName.Parse<BlockExportType>(e.GetProperty("type").GetString()!);
        bool detailed = e.TryGetProperty("x-clients", out var clients);
        var info = new BlockExportInfo
        {
            Id = e.GetProperty("id").GetString()!,
            Type = type,
            NodeName = e.GetProperty("node-name").GetString()!,
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
        BlockExportType.Nbd => NbdExportDetailsCodec.Read(e),
        _ => null,
    };
}
