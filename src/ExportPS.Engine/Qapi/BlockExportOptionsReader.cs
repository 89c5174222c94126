using ExportPS.Engine.Model;
using ExportPS.Engine.Qmp;

namespace ExportPS.Engine.Qapi;

/// <summary>BlockExportOptions (block-export-add, --export) with its nbd branch.</summary>
internal static class BlockExportOptionsReader
{
    public static BlockExportOptions Read(OptionReader reader)
    {
        // The common members first, then the type's branch: the order QEMU checks them in.
        var type = reader.RequireEnum<BlockExportType>("type");
        var options = new BlockExportOptions
        {
            Type = type,
            Id = reader.RequireString("id"),
            FixedIoThread = reader.Bool("fixed-iothread") ?? false,
            IoThread = reader.String("iothread"),
            NodeName = reader.RequireString("node-name"),
            Writable = reader.Bool("writable") ?? false,
            Writethrough = reader.Bool("writethrough") ?? false,
        };
        if (type != BlockExportType.Nbd)
        {
            throw OptionReader.Error($"Export type '{QapiName.Of(type)}' is not supported by ExportPS yet");
        }

        options = options with
        {
            Nbd = new NbdExportOptions
            {
                Name = reader.String("name"),
                Description = reader.String("description"),
                Bitmaps = reader.List("bitmaps", "BlockDirtyBitmapOrStr", name => name, BitmapReference)?.ToArray() ?? [],
                AllocationDepth = reader.Bool("allocation-depth") ?? false,
            },
        };
        reader.RejectUnexpected();
        return options;
    }

    /// <summary>BlockDirtyBitmapOrStr's object form {node, name}, which the engine spells "node/name".</summary>
    public static string BitmapReference(OptionReader reference) => $"{reference.RequireString("node")}/{reference.RequireString("name")}";
}
