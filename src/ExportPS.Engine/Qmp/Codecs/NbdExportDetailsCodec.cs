using System.Text.Json;
using System.Text.Json.Nodes;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Qmp.Codecs;

/// <summary>An NBD export's details in its query-block-exports entry (ExportPS's "x-" members).</summary>
internal static class NbdExportDetailsCodec
{
    public static void Write(JsonObject info, NbdExportDetails nbd)
    {
        info["x-name"] = nbd.Name;
        QmpMembers.SetIf(info, "x-description", nbd.Description);
        if (nbd.Bitmaps.Length > 0)
        {
            info["x-bitmaps"] = QmpMembers.Strings(nbd.Bitmaps);
        }

        QmpMembers.SetIf(info, "x-allocation-depth", nbd.AllocationDepth);
    }

    public static NbdExportDetails Read(JsonElement e) => new()
    {
        Name = QmpMembers.String(e, "x-name") ?? e.GetProperty("node-name").GetString()!,
        Description = QmpMembers.String(e, "x-description"),
        Bitmaps = e.TryGetProperty("x-bitmaps", out var bitmaps) ? bitmaps.EnumerateArray().Select(b => b.GetString()!).ToArray() : [],
        AllocationDepth = QmpMembers.Bool(e, "x-allocation-depth"),
    };
}
