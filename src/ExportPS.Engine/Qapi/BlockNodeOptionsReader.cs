using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Qapi;

/// <summary>BlockdevOptions (blockdev-add, --blockdev) for the drivers ExportPS has: file, raw, memory, null-co/null-aio, nbd.</summary>
internal static class BlockNodeOptionsReader
{
    public static BlockNodeOptions Read(OptionReader reader)
    {
        string driverName = reader.RequireString("driver");
        var driver = BlockDriverNames.Find(driverName) ?? throw reader.NotAccepted("driver", driverName);

        // The common part of BlockdevOptions first, then the driver's branch: the order QEMU checks them in.
        // Members of the base are read in the schema's order, so the first bad one is the one QEMU names.
        string? nodeName = reader.String("node-name");
        var discard = reader.Enum<BlockDiscardMode>("discard") ?? BlockDiscardMode.Ignore;
        var (cacheDirect, noFlush) = reader.Object("cache") is { } cache
            ? OptionReader.ReadAll(cache, c => (c.Bool("direct") ?? false, c.Bool("no-flush") ?? false))
            : (false, false);
        var options = new BlockNodeOptions
        {
            NodeName = nodeName ?? string.Empty,
            Driver = driver,
            Discard = discard,
            CacheDirect = cacheDirect,
            NoFlush = noFlush,
            ReadOnly = reader.Bool("read-only") ?? false,
            ForceShare = reader.Bool("force-share") ?? false,
            DetectZeroes = reader.Enum<BlockDetectZeroes>("detect-zeroes") ?? BlockDetectZeroes.Off,

            // An ExportPS extension for every driver (QEMU has it only on image formats): reads of unallocated ranges fall through.
            Backing = reader.String("backing"),
        };

        options = driver switch
        {
            BlockDriverKind.File => options with { Path = reader.RequireString("filename") },
            BlockDriverKind.Raw or BlockDriverKind.FaultInject => options with { File = ReadChild(reader) },
            BlockDriverKind.Nbd => ReadNbd(reader, options),
            BlockDriverKind.Memory => options with
            {
                Size = reader.Size("size") ?? throw reader.Missing("size"),
                Compression = reader.Enum<BlockCompression>("compression") ?? BlockCompression.None,
            },
            _ => options with
            {
                Size = reader.Size("size") ?? BlockNodeOptions.DefaultNullSize,

                // QEMU leaves the content unspecified without read-zeroes; ExportPS reads zeroes then.
                ReadZeroes = reader.Bool("read-zeroes") ?? true,
            },
        };

        reader.RejectUnexpected();
        return nodeName is null
            ? throw new EngineException(ErrorIds.MissingName, EngineErrorCategory.InvalidArgument, "'node-name' must be specified for the root node")
            : options;
    }

    /// <summary>BlockdevOptionsNbd, in the schema's order.</summary>
    private static BlockNodeOptions ReadNbd(OptionReader reader, BlockNodeOptions options) => options with
    {
        Server = NbdServerOptionsReader.ReadAddress(reader.RequireObject("server"), legacy: false),
        Export = reader.String("export"),
        TlsCreds = reader.String("tls-creds"),
        TlsHostname = reader.String("tls-hostname"),
        XDirtyBitmap = reader.String("x-dirty-bitmap"),
        ReconnectDelay = reader.UInt32("reconnect-delay") ?? 0,
        OpenTimeout = reader.UInt32("open-timeout") ?? 0,
        XMultiConn = reader.UInt32("x-multi-conn") ?? 1,
    };

    /// <summary>raw's file: a node given by name. QEMU also takes the child's options inline; ExportPS wants the child added first.</summary>
    private static string ReadChild(OptionReader reader) => reader.HasObject("file")
        ? throw OptionReader.Error($"Parameter '{reader.PathOf("file")}' must name a node: add the child with its own --blockdev and give its node-name")
        : reader.RequireString("file");
}
