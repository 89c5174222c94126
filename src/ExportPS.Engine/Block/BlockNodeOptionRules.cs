using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Block;

/// <summary>The checks QEMU makes on the options every blockdev has, whatever its driver, with QEMU's messages.</summary>
internal static class BlockNodeOptionRules
{
    /// <summary>The first broken rule: the <see cref="BlockNodeOptions"/> property at fault and QEMU's message; null when none.</summary>
    /// <remarks>QEMU checks force-share before it opens the node, detect-zeroes while opening it.</remarks>
    public static (string Property, string Message)? Violation(BlockNodeOptions options) =>
        options.ForceShare && !options.ReadOnly
            ? (nameof(BlockNodeOptions.ForceShare), "force-share=on can only be used with read-only images")
        : options.DetectZeroes == BlockDetectZeroes.Unmap && options.Discard != BlockDiscardMode.Unmap
            ? (nameof(BlockNodeOptions.DetectZeroes), "setting detect-zeroes to unmap is not allowed without setting discard operation to unmap")
        : null;

    public static void Check(BlockNodeOptions options)
    {
        if (Violation(options) is { } violation)
        {
            throw new EngineException(ErrorIds.InvalidBlockNodeOptions, EngineErrorCategory.InvalidArgument, violation.Message)
            {
                Target = options.NodeName,
            };
        }
    }
}
