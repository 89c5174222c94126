using ExportPS.Engine.Model;

namespace ExportPS.Engine;

/// <summary>Waiting for BLOCK_EXPORT_DELETED, the same way for every engine.</summary>
public static class ExportDeletion
{
    /// <summary>
    /// True once no export <paramref name="id"/> exists: at once if <paramref name="exists"/> says so, else when the
    /// engine raises ExportDeleted for it. Subscribes before looking, so a deletion between the two cannot be missed.
    /// </summary>
    public static bool Wait(IBlockExports engine, string id, Func<bool> exists, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deleted = new ManualResetEventSlim();
        void OnDeleted(object? sender, BlockExportDeletedEventArgs e)
        {
            if (e.Id == id)
            {
                deleted.Set();
            }
        }

        engine.ExportDeleted += OnDeleted;
        try
        {
            return !exists() || deleted.Wait(timeout, cancellationToken);
        }
        finally
        {
            engine.ExportDeleted -= OnDeleted;
        }
    }
}
