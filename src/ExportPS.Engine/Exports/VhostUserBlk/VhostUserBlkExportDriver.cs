using System.Globalization;
using System.Net.Sockets;
using ExportPS.Engine.Block;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Logging;
using ExportPS.Engine.Model;
using ExportPS.Engine.Threading;
using ExportPS.Engine.Transport;
using Microsoft.Extensions.Logging;

namespace ExportPS.Engine.Exports.VhostUserBlk;

/// <summary>
/// block-export-add type=vhost-user-blk (QEMU's vhost-user-blk-server.c): checks the branch as QEMU does, listens on
/// the unix socket (or adopts a passed listening one) and serves one front-end at a time.
/// </summary>
internal sealed class VhostUserBlkExportDriver(ILoggerFactory loggers) : IBlockExportDriver
{
    private readonly ILogger _log = loggers.CreateLogger(VhostUserLog.Category);

    public BlockExportType Type => BlockExportType.VhostUserBlk;

    public BlockExport Create(BlockExportOptions options, BlockNode node, IoThread? ioThread)
    {
        var branch = options.VhostUserBlk ?? throw BlockSizeCheck.Invalid(options, "Parameter 'addr' is missing");
        BlockSizeCheck.Require(options, branch.LogicalBlockSize, VhostUserBlkExportOptions.MaxLogicalBlockSize);
        if (branch.NumQueues <= 0)
        {
            throw BlockSizeCheck.Invalid(options, "num-queues must be greater than 0");
        }

        if (branch.NumQueues > VhostUserBlkExportOptions.MaxNumQueues)
        {
            throw BlockSizeCheck.Invalid(options, "Parameter 'num-queues' expects uint16_t");
        }

        var listener = Listen(options, branch.Address);
        return new VhostUserBlkExport(options, branch, node, ioThread, listener, _log);
    }

    private static SocketListener Listen(BlockExportOptions options, SocketAddressOptions address)
    {
        switch (address.Kind)
        {
            case SocketAddressKind.Unix when string.IsNullOrEmpty(address.Path):
                throw BlockSizeCheck.Invalid(options, "Parameter 'addr.path' is missing");
            case SocketAddressKind.Unix:
                try
                {
                    return SocketListener.BindUnix(address.Path!);
                }
                catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
                {
                    throw new EngineException(ErrorIds.ExportListenFailed, EngineErrorCategory.InvalidState,
                        $"Failed to bind socket to {address.Path}: {e.Message}", e) { Target = options.Id };
                }

            case SocketAddressKind.Fd:
                if (!int.TryParse(address.Fd, NumberStyles.None, CultureInfo.InvariantCulture, out int fd))
                {
                    throw BlockSizeCheck.Invalid(options, $"File descriptor '{address.Fd}' is not a number (monitor fd names are not supported)");
                }

                SocketListener adopted;
                try
                {
                    adopted = SocketListener.Adopt(fd);
                }
                catch (IOException e)
                {
                    throw new EngineException(ErrorIds.ExportListenFailed, EngineErrorCategory.InvalidArgument,
                        $"File descriptor '{address.Fd}' is not a socket: {e.Message}", e) { Target = options.Id };
                }

                if (!adopted.IsUnix)
                {
                    adopted.Dispose();
                    throw new EngineException(ErrorIds.ExportListenFailed, EngineErrorCategory.InvalidArgument,
                        $"File descriptor '{address.Fd}' is not a unix domain socket") { Target = options.Id };
                }

                return adopted;

            default:
                throw BlockSizeCheck.Invalid(options, "Only socket address types 'unix' and 'fd' are supported");
        }
    }
}
