using ExportPS.Engine.Block;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Threading;

namespace ExportPS.Engine.Exports.Nbd;

/// <summary>block-export-add type=nbd: needs the running NBD server.</summary>
internal sealed class NbdExportDriver(Func<NbdServer?> currentServer) : IBlockExportDriver
{
    public BlockExportType Type => BlockExportType.Nbd;

    public BlockExport Create(BlockExportOptions options, BlockNode node, IoThread? ioThread)
    {
        var server = currentServer() ?? throw new EngineException(ErrorIds.NbdServerNotRunning, EngineErrorCategory.InvalidState, "NBD server not running");
        throw new NotImplementedException($"owned by the NBD work ({server})");
    }
}
