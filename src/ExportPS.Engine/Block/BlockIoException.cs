using ExportPS.Engine.Errors;

namespace ExportPS.Engine.Block;

/// <summary>A failed block request. The connection or queue that issued it stays usable.</summary>
public sealed class BlockIoException(BlockError error, string message, Exception? inner = null)
    : EngineException("BlockIo" + error, CategoryOf(error), message, inner)
{
    public BlockError Error { get; } = error;

    private static EngineErrorCategory CategoryOf(BlockError error) => error switch
    {
        BlockError.InvalidArgument => EngineErrorCategory.InvalidArgument,
        BlockError.ReadOnly => EngineErrorCategory.PermissionDenied,
        BlockError.NotSupported => EngineErrorCategory.NotSupported,
        _ => EngineErrorCategory.IoError,
    };
}
