using System.Text.Json;
using System.Text.Json.Nodes;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qapi;

namespace ExportPS.Engine.Qmp.Codecs;

/// <summary>
/// The nbd branch of block-export-add's arguments, and an NBD export's details in its query-block-exports entry
/// (ExportPS's "x-" members).
/// </summary>
internal static class NbdExportCodec
{
    private const string Name = "name";
    private const string Description = "description";
    private const string Bitmaps = "bitmaps";
    private const string AllocationDepth = "allocation-depth";

    /// <summary>BlockExportOptionsNbd, after the common members (block-export-add, --export).</summary>
    public static NbdExportOptions ReadOptions(OptionReader reader) => new()
    {
        Name = reader.String(Name),
        Description = reader.String(Description),
        Bitmaps = reader.List(Bitmaps, "BlockDirtyBitmapOrStr", name => name, BlockExportOptionsReader.BitmapReference)?.ToArray() ?? [],
        AllocationDepth = reader.Bool(AllocationDepth) ?? false,
    };

    public static void WriteOptions(JsonObject args, NbdExportOptions nbd)
    {
        QmpMembers.SetIf(args, Name, nbd.Name);
        QmpMembers.SetIf(args, Description, nbd.Description);
        if (nbd.Bitmaps.Length > 0)
        {
            args[Bitmaps] = QmpMembers.Strings(nbd.Bitmaps);
        }

        QmpMembers.SetIf(args, AllocationDepth, nbd.AllocationDepth);
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
