using System.Text.Json;
using System.Text.Json.Nodes;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Qmp.Codecs;

/// <summary>block-dirty-bitmap-*'s arguments, and the dirty-bitmaps entries of query-named-block-nodes.</summary>
internal static class DirtyBitmapCodec
{
    private const string Node = "node";
    private const string Name = "name";
    private const string Granularity = "granularity";
    private const string Persistent = "persistent";

    public static JsonObject WriteAdd(DirtyBitmapOptions options)
    {
        var args = new JsonObject { [Node] = options.NodeName, [Name] = options.Name, [Granularity] = options.Granularity };
        QmpMembers.SetIf(args, Persistent, options.Persistent);
        QmpMembers.SetIf(args, "disabled", options.Disabled);
        return args;
    }

    /// <summary>BlockDirtyBitmap: the arguments of remove, clear, enable, disable, and a merge source given as "node/name".</summary>
    public static JsonObject WriteTarget(string nodeName, string name) => new() { [Node] = nodeName, [Name] = name };

    public static JsonObject WriteMerge(string nodeName, string target, IEnumerable<string> sources)
    {
        var bitmaps = new JsonArray();
        foreach (string source in sources)
        {
            int slash = source.IndexOf('/');
            bitmaps.Add(slash < 0 ? JsonValue.Create(source) : WriteTarget(source[..slash], source[(slash + 1)..]));
        }

        return new JsonObject { [Node] = nodeName, ["target"] = target, ["bitmaps"] = bitmaps };
    }

    public static JsonObject WriteInfo(DirtyBitmapInfo bitmap) => new()
    {
        [Name] = bitmap.Name,
        ["recording"] = bitmap.Enabled,
        [Persistent] = bitmap.Persistent,
        ["busy"] = bitmap.Busy,
        [Granularity] = bitmap.Granularity,
        ["count"] = bitmap.Count,
    };

    /// <summary>The bitmaps of one query-named-block-nodes entry.</summary>
    public static IEnumerable<DirtyBitmapInfo> ReadInfos(JsonElement node)
    {
        string nodeName = node.GetProperty("node-name").GetString()!;
        return BitmapsOf(node).Select(bitmap => new DirtyBitmapInfo
        {
            NodeName = nodeName,
            Name = bitmap.GetProperty(Name).GetString()!,
            Granularity = bitmap.GetProperty(Granularity).GetInt64(),
            Count = bitmap.GetProperty("count").GetInt64(),
            Enabled = bitmap.GetProperty("recording").GetBoolean(),
            Persistent = bitmap.GetProperty(Persistent).GetBoolean(),
            Busy = bitmap.GetProperty("busy").GetBoolean(),
        });
    }

    public static JsonArray WriteInfos(IEnumerable<DirtyBitmapInfo> bitmaps) => new(bitmaps.Select(b => (JsonNode)WriteInfo(b)).ToArray());

    private static IEnumerable<JsonElement> BitmapsOf(JsonElement node) =>
        node.TryGetProperty("dirty-bitmaps", out var bitmaps) ? bitmaps.EnumerateArray() : [];
}
