using ExportPS.Engine.Model;

namespace ExportPS.Host.CommandLine;

/// <summary>--blockdev: BlockdevOptions for the drivers ExportPS has (file, raw, memory, null-co/null).</summary>
internal static class BlockdevParser
{
    public static BlockNodeOptions Parse(OptionMap tree)
    {
        var reader = new OptionReader(tree);
        string driverName = reader.RequireString("driver");
        var driver = driverName switch
        {
            "file" => BlockDriverKind.File,
            "memory" => BlockDriverKind.Memory,
            "null-co" or "null" => BlockDriverKind.Null,
            "raw" => BlockDriverKind.Raw,
            _ => throw reader.NotAccepted("driver", driverName),
        };

        // The common part of BlockdevOptions first, then the driver's branch: the order QEMU checks them in.
        var options = new BlockNodeOptions
        {
            NodeName = reader.String("node-name") ?? string.Empty,
            Driver = driver,
            CacheDirect = reader.Object("cache") is { } cache && (OptionReader.ReadAll(cache, c => c.Bool("direct")) ?? false),
            ReadOnly = reader.Bool("read-only") ?? false,
            Backing = reader.String("backing"),
        };

        options = driver switch
        {
            BlockDriverKind.File => options with { Path = reader.RequireString("filename") },
            BlockDriverKind.Raw => options with { File = ParseChild(reader) },
            BlockDriverKind.Memory => options with
            {
                Size = reader.Size("size") ?? throw reader.Missing("size"),
                Compression = ParseCompression(reader),
            },
            _ => options with
            {
                Size = reader.Size("size") ?? BlockNodeOptions.DefaultNullSize,
                ReadZeroes = reader.Bool("read-zeroes") ?? true,
            },
        };

        reader.RejectUnexpected();
        if (options.NodeName.Length == 0)
        {
            throw new CommandLineException("'node-name' must be specified for the root node");
        }

        return options;
    }

    /// <summary>raw's file: a node given by name. QEMU also takes the child's options inline; here the child is its own --blockdev.</summary>
    private static string ParseChild(OptionReader reader)
    {
        if (reader.HasObject("file"))
        {
            throw new CommandLineException("Parameter 'file' must name a node: add the child with its own --blockdev and give its node-name");
        }

        return reader.RequireString("file");
    }

    private static BlockCompression ParseCompression(OptionReader reader) => reader.String("compression") switch
    {
        null or "none" => BlockCompression.None,
        "lz4" => BlockCompression.Lz4,
        var other => throw reader.NotAccepted("compression", other),
    };
}
