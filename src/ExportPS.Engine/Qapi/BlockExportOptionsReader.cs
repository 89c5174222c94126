using ExportPS.Engine.Model;
using ExportPS.Engine.Qmp;
using ExportPS.Engine.Qmp.Codecs;

namespace ExportPS.Engine.Qapi;

/// <summary>BlockExportOptions (block-export-add, --export): the common members, then the branch of its type's codec.</summary>
internal static class BlockExportOptionsReader
{
    public static BlockExportOptions Read(OptionReader reader)
    {
        // The common members first, then the type's branch: the order QEMU checks them in.
        var type = reader.RequireEnum<BlockExportType>(BlockExportCodec.Type);
        var options = new BlockExportOptions
        {
            Type = type,
            Id = reader.RequireString(BlockExportCodec.Id),
            FixedIoThread = reader.Bool(BlockExportCodec.FixedIoThread) ?? false,
            IoThread = reader.String(BlockExportCodec.IoThread),
            NodeName = reader.RequireString(BlockExportCodec.NodeName),
            Writable = reader.Bool(BlockExportCodec.Writable) ?? false,
            Writethrough = reader.Bool(BlockExportCodec.Writethrough) ?? false,
        };
        options = type switch
        {
            BlockExportType.Nbd => options with { Nbd = NbdExportCodec.ReadOptions(reader) },
            BlockExportType.VhostUserBlk => options with { VhostUserBlk = VhostUserBlkExportCodec.ReadOptions(reader) },
            BlockExportType.Fuse => options with { Fuse = FuseExportCodec.ReadOptions(reader) },
            BlockExportType.VduseBlk => options with { VduseBlk = VduseBlkExportCodec.ReadOptions(reader) },
            _ => throw OptionReader.Error($"Export type '{QapiName.Of(type)}' is not supported by ExportPS yet"),
        };
        reader.RejectUnexpected();
        return options;
    }

    /// <summary>BlockDirtyBitmapOrStr's object form {node, name}, which the engine spells "node/name".</summary>
    public static string BitmapReference(OptionReader reference) => $"{reference.RequireString("node")}/{reference.RequireString("name")}";
}
