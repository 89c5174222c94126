using ExportPS.Engine.Model;

namespace ExportPS.Host.CommandLine;

/// <summary>--export: BlockExportOptions with its nbd branch.</summary>
internal static class ExportParser
{
    public static BlockExportOptions Parse(OptionMap tree)
    {
        var reader = new OptionReader(tree);
        string type = reader.RequireString("type");
        if (type is "vhost-user-blk" or "fuse" or "vduse-blk")
        {
            throw new CommandLineException($"Export type '{type}' is not supported yet");
        }

        if (type != "nbd")
        {
            throw reader.NotAccepted("type", type);
        }

        var options = new BlockExportOptions
        {
            Type = BlockExportType.Nbd,
            Id = reader.RequireString("id"),
            FixedIoThread = reader.Bool("fixed-iothread") ?? false,
            IoThread = reader.String("iothread"),
            NodeName = reader.RequireString("node-name"),
            Writable = reader.Bool("writable") ?? false,
            Writethrough = reader.Bool("writethrough") ?? false,
            Nbd = new NbdExportOptions
            {
                Name = reader.String("name"),
                Description = reader.String("description"),
                Bitmaps = ParseBitmaps(reader),
                AllocationDepth = reader.Bool("allocation-depth") ?? false,
            },
        };
        reader.RejectUnexpected();
        return options;
    }

    /// <summary>
    /// bitmaps: each a name on the exported node or {node, name} (BlockDirtyBitmapOrStr), passed on as "name" or
    /// "node/name"; bitmap: the single bitmap of the older nbd-server-add, kept for old command lines.
    /// </summary>
    private static string[] ParseBitmaps(OptionReader reader)
    {
        var bitmaps = reader.List("bitmaps", name => name, item => $"{item.RequireString("node")}/{item.RequireString("name")}") ?? [];
        return reader.String("bitmap") is { } single ? [.. bitmaps, single] : [.. bitmaps];
    }
}
