using ExportPS.Engine.Model;

namespace ExportPS.Engine;

/// <summary>Block exports of every type: block-export-add, block-export-del, query-block-exports, BLOCK_EXPORT_DELETED.</summary>
public interface IBlockExports
{
    BlockExportInfo AddBlockExport(BlockExportOptions options);

    void RemoveBlockExport(string id, BlockExportRemoveMode mode);

    IReadOnlyList<BlockExportInfo> GetBlockExports();

    /// <summary>Waits until no export with this id exists (BLOCK_EXPORT_DELETED). False on timeout.</summary>
    bool WaitForExportDeleted(string id, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>BLOCK_EXPORT_DELETED.</summary>
    event EventHandler<BlockExportDeletedEventArgs>? ExportDeleted;
}
