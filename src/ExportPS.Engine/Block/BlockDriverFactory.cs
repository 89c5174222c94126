using ExportPS.Engine.Block.Drivers;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Block;

/// <summary>Opens the driver a blockdev-add asks for, after checking the options that driver needs.</summary>
internal static class BlockDriverFactory
{
    public static IBlockDriver Open(BlockNodeOptions options) => options.Driver switch
    {
        BlockDriverKind.Memory => new MemoryBlockDriver(RequireSize(options)),
        BlockDriverKind.Null => new NullBlockDriver(RequireSize(options), options.ReadZeroes),
        _ => throw new EngineException(ErrorIds.InvalidBlockNodeOptions, EngineErrorCategory.NotSupported,
            $"Driver '{options.Driver}' is not available") { Target = options.NodeName },
    };

    private static long RequireSize(BlockNodeOptions options)
    {
        if (options.Size is not { } size)
        {
            throw new EngineException(ErrorIds.InvalidBlockNodeOptions, EngineErrorCategory.InvalidArgument,
                $"Parameter 'size' is missing for driver '{options.Driver}'") { Target = options.NodeName };
        }

        if (size < 0)
        {
            throw new EngineException(ErrorIds.InvalidBlockNodeOptions, EngineErrorCategory.InvalidArgument,
                $"Parameter 'size' must be a non-negative number, not {size}") { Target = options.NodeName };
        }

        return size;
    }
}
