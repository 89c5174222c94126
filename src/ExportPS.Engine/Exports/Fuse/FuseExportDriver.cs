using ExportPS.Engine.Block;
using ExportPS.Engine.Logging;
using ExportPS.Engine.Model;
using ExportPS.Engine.Threading;
using Microsoft.Extensions.Logging;

namespace ExportPS.Engine.Exports.Fuse;

/// <summary>
/// block-export-add type=fuse (QEMU's block/export/fuse.c): mounts a FUSE connection over the mount point, an existing
/// regular file, and serves the node as that file. A read-only export is a read-only mount.
/// </summary>
internal sealed class FuseExportDriver(ILoggerFactory loggers) : IBlockExportDriver
{
    private readonly ILogger _log = loggers.CreateLogger(FuseLog.Category);

    public BlockExportType Type => BlockExportType.Fuse;

    public BlockExport Create(BlockExportOptions options, BlockNode node, IoThread? ioThread)
    {
        var branch = options.Fuse ?? throw BlockSizeCheck.Invalid(options, "Parameter 'mountpoint' is missing");
        if (string.IsNullOrEmpty(branch.MountPoint))
        {
            throw BlockSizeCheck.Invalid(options, "Parameter 'mountpoint' is missing");
        }

        var mount = FuseMount.Create(options.Id, branch.MountPoint, readOnly: !options.Writable, branch.AllowOther);
        _log.Mounted(options.Id, mount.MountPoint, !options.Writable);
        try
        {
            return new FuseExport(options, branch, node, ioThread, mount, _log);
        }
        catch
        {
            mount.Dispose();
            throw;
        }
    }
}
