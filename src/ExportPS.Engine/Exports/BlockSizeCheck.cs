using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Exports;

/// <summary>QEMU's check_block_size for an export's logical-block-size: a power of two within the limits, QEMU's wording.</summary>
internal static class BlockSizeCheck
{
    public static void Require(BlockExportOptions options, long value, long maximum)
    {
        const long minimum = VhostUserBlkExportOptions.MinLogicalBlockSize;
        if (value < minimum || value > maximum)
        {
            throw Invalid(options, $"Property {options.Id}.logical-block-size doesn't take value {value} (minimum: {minimum}, maximum: {maximum})");
        }

        if ((value & (value - 1)) != 0)
        {
            throw Invalid(options, $"Property {options.Id}.logical-block-size doesn't take value '{value}', it's not a power of 2");
        }
    }

    public static EngineException Invalid(BlockExportOptions options, string message) =>
        new(ErrorIds.InvalidExportOptions, EngineErrorCategory.InvalidArgument, message) { Target = options.Id };
}
