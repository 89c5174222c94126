using ExportPS.Engine.Model;

namespace ExportPS.Engine;

/// <summary>The block graph: nodes and their dirty bitmaps (blockdev-*, block-dirty-bitmap-*, query-named-block-nodes).</summary>
public interface IBlockGraph
{
    BlockNodeInfo AddBlockNode(BlockNodeOptions options);

    void RemoveBlockNode(string nodeName);

    IReadOnlyList<BlockNodeInfo> GetBlockNodes();

    DirtyBitmapInfo AddDirtyBitmap(DirtyBitmapOptions options);

    void RemoveDirtyBitmap(string nodeName, string name);

    void ClearDirtyBitmap(string nodeName, string name);

    void EnableDirtyBitmap(string nodeName, string name);

    void DisableDirtyBitmap(string nodeName, string name);

    /// <summary>ORs each source ("name" on the same node, or "node/name") into the target.</summary>
    void MergeDirtyBitmaps(string nodeName, string target, IReadOnlyList<string> sources);

    IReadOnlyList<DirtyBitmapInfo> GetDirtyBitmaps();
}
