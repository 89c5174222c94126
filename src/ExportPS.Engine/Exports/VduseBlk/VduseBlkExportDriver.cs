using ExportPS.Engine.Block;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Threading;

namespace ExportPS.Engine.Exports.VduseBlk;

/// <summary>
/// block-export-add type=vduse-blk: the options are checked as QEMU's vduse-blk.c checks them, then the export is refused,
/// because serving it needs the kernel's VDUSE device, which ExportPS does not drive.
/// </summary>
internal sealed class VduseBlkExportDriver : IBlockExportDriver
{
    /// <summary>QEMU allows at most the host page size as the logical block size of a VDUSE device.</summary>
    private const long PageSize = 4096;

    public BlockExportType Type => BlockExportType.VduseBlk;

    public BlockExport Create(BlockExportOptions options, BlockNode node, IoThread? ioThread)
    {
        var branch = options.VduseBlk ?? throw BlockSizeCheck.Invalid(options, "Parameter 'name' is missing");
        if (string.IsNullOrEmpty(branch.Name))
        {
            throw BlockSizeCheck.Invalid(options, "Parameter 'name' is missing");
        }

        if (branch.NumQueues <= 0 || branch.NumQueues > ushort.MaxValue)
        {
            throw BlockSizeCheck.Invalid(options, "num-queues must be greater than 0");
        }

        int size = branch.QueueSize;
        if (size <= 2 || (size & (size - 1)) != 0 || size > VduseBlkExportOptions.MaxQueueSize)
        {
            throw BlockSizeCheck.Invalid(options, "queue-size is invalid");
        }

        BlockSizeCheck.Require(options, branch.LogicalBlockSize, PageSize);
        throw new EngineException(ErrorIds.ExportTypeNotSupported, EngineErrorCategory.NotSupported,
            "vduse-blk exports need the kernel's VDUSE support (/dev/vduse), which ExportPS does not use") { Target = options.Id };
    }
}
