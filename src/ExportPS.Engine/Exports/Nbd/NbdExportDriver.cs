using System.Text;
using ExportPS.Engine.Block;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Threading;

namespace ExportPS.Engine.Exports.Nbd;

/// <summary>
/// block-export-add type=nbd: needs the running NBD server. <paramref name="resolveBitmap"/> finds a published bitmap
/// ("name" on the exported node or "node/name").
/// </summary>
internal sealed class NbdExportDriver(Func<NbdServer?> currentServer, Func<string, string, DirtyBitmap> resolveBitmap) : IBlockExportDriver
{
    public BlockExportType Type => BlockExportType.Nbd;

    public BlockExport Create(BlockExportOptions options, BlockNode node, IoThread? ioThread)
    {
        var server = currentServer() ?? throw new EngineException(ErrorIds.NbdServerNotRunning, EngineErrorCategory.InvalidState, "NBD server not running");
        var nbd = options.Nbd;
        string name = nbd.Name ?? node.NodeName;
        if (Encoding.UTF8.GetByteCount(name) > NbdProtocol.MaxStringLength)
        {
            throw Invalid(options, $"export name '{name}' too long");
        }

        if (nbd.Description is { } description && Encoding.UTF8.GetByteCount(description) > NbdExportOptions.MaxDescriptionBytes)
        {
            throw Invalid(options, $"description '{description}' too long");
        }

        var bitmaps = new List<DirtyBitmap>();
        foreach (string reference in nbd.Bitmaps.Distinct(StringComparer.Ordinal))
        {
            var bitmap = resolveBitmap(node.NodeName, reference);
            DirtyBitmapSet.RequireIdle(bitmap);
            if (bitmaps.Any(b => b.Name == bitmap.Name))
            {
                throw Invalid(options, $"Bitmap '{bitmap.Name}' is published twice");
            }

            bitmaps.Add(bitmap);
        }

        return new NbdExport(options, node, ioThread, server, bitmaps);
    }

    private static EngineException Invalid(BlockExportOptions options, string message) =>
        new(ErrorIds.InvalidExportOptions, EngineErrorCategory.InvalidArgument, message) { Target = options.Id };
}
