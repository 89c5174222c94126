using ExportPS.Engine.Model;

namespace ExportPS.Engine.Tests.Qmp;

/// <summary>Exports whose block-export-del only raises BLOCK_EXPORT_DELETED, for event tests that need no NBD server.</summary>
internal sealed class EventOnlyExports : IBlockExports
{
    public static readonly DateTime Timestamp = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    public event EventHandler<BlockExportDeletedEventArgs>? ExportDeleted;

    public void RemoveBlockExport(string id, BlockExportRemoveMode mode) =>
        ExportDeleted?.Invoke(this, new BlockExportDeletedEventArgs(id, Timestamp.AddTicks(1234560)));

    public IReadOnlyList<BlockExportInfo> GetBlockExports() => [];

    public BlockExportInfo AddBlockExport(BlockExportOptions options) => throw new NotSupportedException();

    public bool WaitForExportDeleted(string id, TimeSpan timeout, CancellationToken cancellationToken) => throw new NotSupportedException();
}
