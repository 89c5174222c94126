using System.Text.Json;
using System.Text.Json.Nodes;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Qmp.Codecs;

/// <summary>
/// The nbd branch of block-export-add's arguments, and an NBD export's details in its query-block-exports entry
/// (ExportPS's "x-" members).
/// </summary>
internal static class NbdExportCodec
{
    public static void WriteOptions(JsonObject args, NbdExportOptions nbd)
    {
        QmpMembers.SetIf(args, "name", nbd.Name);
        QmpMembers.SetIf(args, "description", nbd.Description);
        if (nbd.Bitmaps.Length > 0)
        {
            args["bitmaps"] = QmpMembers.Strings(nbd.Bitmaps);
        }

        QmpMembers.SetIf(args, "allocation-depth", nbd.AllocationDepth);
    }

    public static void WriteDetails(JsonObject info, NbdExportDetails nbd)
    {
        info["x-name"] = nbd.Name;
        QmpMembers.SetIf(info, "x-description", nbd.Description);
        if (nbd.Bitmaps.Length > 0)
        {
            info["x-bitmaps"] = QmpMembers.Strings(nbd.Bitmaps);
        }

        QmpMembers.SetIf(info, "x-allocation-depth", nbd.AllocationDepth);
    }

    public static NbdExportDetails ReadDetails(JsonElement e) => new()
    {
        Name = QmpMembers.String(e, "x-name") ?? e.GetProperty("node-name").GetString()!,
        Description = QmpMembers.String(e, "x-description"),
        Bitmaps = QmpMembers.StringList(e, "x-bitmaps"),
        AllocationDepth = QmpMembers.Bool(e, "x-allocation-depth"),
    };
}
