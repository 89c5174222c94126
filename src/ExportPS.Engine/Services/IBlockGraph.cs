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

    /// <summary>Arms a fault rule on an x-fault-inject node (x-block-fault-set), replacing the rule its operation had.</summary>
    void SetBlockFault(BlockFaultOptions options);

    /// <summary>Disarms the rule of <paramref name="operation"/> on the node, or all of its rules when null (x-block-fault-clear).</summary>
    void ClearBlockFault(string nodeName, BlockFaultOperation? operation);

    /// <summary>The armed rules of every x-fault-inject node (x-query-block-faults).</summary>
    IReadOnlyList<BlockFaultInfo> GetBlockFaults();
}
