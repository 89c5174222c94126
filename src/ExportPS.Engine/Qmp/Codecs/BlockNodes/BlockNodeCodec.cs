using System.Text.Json;
using System.Text.Json.Nodes;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Qmp.Codecs;

/// <summary>
/// blockdev-add's arguments, and an entry of query-named-block-nodes ("x-" members are ExportPS's: the node names of a
/// node's children, its compression, read-zeroes).
/// </summary>
internal static class BlockNodeCodec
{
    private const string BackingNodeName = "x-backing-node-name";
    private const string FileNodeName = "x-file-node-name";
    private const string Compression = "x-compression";
    private const string ReadZeroes = "x-read-zeroes";

    public static JsonObject WriteAdd(BlockNodeOptions options)
    {
        var args = new JsonObject { ["driver"] = BlockDriverNames.Of(options.Driver), ["node-name"] = options.NodeName };
        QmpMembers.SetIf(args, "read-only", options.ReadOnly);
        QmpMembers.SetIf(args, "backing", options.Backing);
        if (options.CacheDirect)
        {
            args["cache"] = new JsonObject { ["direct"] = true };
        }

        switch (options.Driver)
        {
            case BlockDriverKind.File:
                args["filename"] = options.Path;
                break;
            case BlockDriverKind.Null:
                QmpMembers.SetIf(args, "size", options.Size);
                args["read-zeroes"] = options.ReadZeroes;
                break;
            case BlockDriverKind.Raw:
                args["file"] = options.File;
                break;
            default:
                QmpMembers.SetIf(args, "size", options.Size);
                if (options.Compression != BlockCompression.None)
                {
                    args["compression"] = QapiName.Of(options.Compression);
                }

                break;
        }

        return args;
    }

    public static JsonObject WriteInfo(BlockNodeInfo node, string file, IEnumerable<DirtyBitmapInfo> bitmaps, int backingDepth)
    {
        string drv = BlockDriverNames.Of(node.Driver);
        var info = new JsonObject
        {
            ["node-name"] = node.NodeName,
            ["drv"] = drv,
            ["file"] = file,
            ["ro"] = node.ReadOnly,
            ["encrypted"] = false,
            ["detect_zeroes"] = "off",
            ["backing_file_depth"] = backingDepth,
            ["bps"] = 0,
            ["bps_rd"] = 0,
            ["bps_wr"] = 0,
            ["iops"] = 0,
            ["iops_rd"] = 0,
            ["iops_wr"] = 0,
            ["write_threshold"] = 0,
            ["cache"] = new JsonObject { ["writeback"] = true, ["direct"] = node.CacheDirect, ["no-flush"] = false },
            ["image"] = new JsonObject
            {
                ["filename"] = file,
                ["format"] = drv,
                ["virtual-size"] = node.Size,
                ["actual-size"] = node.AllocatedBytes,
            },
        };
        QmpMembers.SetIf(info, BackingNodeName, node.Backing);
        QmpMembers.SetIf(info, FileNodeName, node.File);
        if (node.Driver == BlockDriverKind.Memory)
        {
            info[Compression] = QapiName.Of(node.Compression);
        }

        QmpMembers.SetIf(info, ReadZeroes, node.ReadZeroes);

        var dirty = DirtyBitmapCodec.WriteInfos(bitmaps);
        if (dirty.Count > 0)
        {
            info["dirty-bitmaps"] = dirty;
        }

        return info;
    }

    /// <summary>The node of one query-named-block-nodes entry; null for a driver ExportPS has no kind for.</summary>
    public static BlockNodeInfo? ReadInfo(JsonElement node)
    {
        // Nodes of drivers ExportPS has no kind for (qcow2, nbd, ... in QEMU) cannot be described by a BlockNodeInfo.
        if (BlockDriverNames.Find(node.GetProperty("drv").GetString()) is not { } driver)
        {
            return null;
        }

        var image = node.GetProperty("image");
        return new BlockNodeInfo
        {
            NodeName = node.GetProperty("node-name").GetString()!,
            Driver = driver,
            Size = image.GetProperty("virtual-size").GetInt64(),
            ReadOnly = node.GetProperty("ro").GetBoolean(),
            Backing = QmpMembers.String(node, BackingNodeName),
            File = QmpMembers.String(node, FileNodeName),
            Path = driver == BlockDriverKind.File ? QmpMembers.String(image, "filename") : null,
            AllocatedBytes = image.TryGetProperty("actual-size", out var actual) ? actual.GetInt64() : 0,
            Compression = QmpMembers.String(node, Compression) is { } compression ? QapiName.Parse<BlockCompression>(compression) : BlockCompression.None,
            CacheDirect = node.TryGetProperty("cache", out var cache) && cache.TryGetProperty("direct", out var direct) && direct.GetBoolean(),
            ReadZeroes = QmpMembers.Bool(node, ReadZeroes),
            Bitmaps = DirtyBitmapCodec.ReadInfos(node).Select(b => b.Name).Order(StringComparer.Ordinal).ToArray(),
        };
    }
}
