using ExportPS.Engine.Block;
using ExportPS.Engine.Model;
using ExportPS.Engine.Threading;

namespace ExportPS.Engine.Exports;

/// <summary>
/// One export type (QEMU's BlockExportDriver). The engine has already checked the id, the node, the iothread and that a
/// writable export is not on a read-only node; the driver checks its own branch of the options and starts serving.
/// </summary>
public interface IBlockExportDriver
{
    BlockExportType Type { get; }

    BlockExport Create(BlockExportOptions options, BlockNode node, IoThread? ioThread);
}
