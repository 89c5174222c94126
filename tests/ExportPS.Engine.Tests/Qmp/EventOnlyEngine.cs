using Xunit;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Tests.Qmp;

/// <summary>An engine whose block-export-del only raises BLOCK_EXPORT_DELETED, for event tests that need no NBD server.</summary>
internal sealed class EventOnlyEngine : IExportEngine
{
    public event EventHandler<BlockExportDeletedEventArgs>? ExportDeleted;

    public static readonly DateTime Timestamp = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    public void RemoveBlockExport(string id, BlockExportRemoveMode mode) =>
        ExportDeleted?.Invoke(this, new BlockExportDeletedEventArgs(id, Timestamp.AddTicks(1234560)));

    public IReadOnlyList<BlockExportInfo> GetBlockExports() => [];

    public BlockNodeInfo AddBlockNode(BlockNodeOptions options) => throw new NotSupportedException();

    public void RemoveBlockNode(string nodeName) => throw new NotSupportedException();

    public IReadOnlyList<BlockNodeInfo> GetBlockNodes() => throw new NotSupportedException();

    public DirtyBitmapInfo AddDirtyBitmap(DirtyBitmapOptions options) => throw new NotSupportedException();

    public void RemoveDirtyBitmap(string nodeName, string name) => throw new NotSupportedException();

    public void ClearDirtyBitmap(string nodeName, string name) => throw new NotSupportedException();

    public void EnableDirtyBitmap(string nodeName, string name) => throw new NotSupportedException();

    public void DisableDirtyBitmap(string nodeName, string name) => throw new NotSupportedException();

    public void MergeDirtyBitmaps(string nodeName, string target, IReadOnlyList<string> sources) => throw new NotSupportedException();

    public IReadOnlyList<DirtyBitmapInfo> GetDirtyBitmaps() => throw new NotSupportedException();

    public IoThreadInfo AddIoThread(IoThreadOptions options) => throw new NotSupportedException();

    public void RemoveIoThread(string id) => throw new NotSupportedException();

    public IReadOnlyList<IoThreadInfo> GetIoThreads() => throw new NotSupportedException();

    public NbdServerInfo StartNbdServer(NbdServerOptions options) => throw new NotSupportedException();

    public void StopNbdServer(TimeSpan gracePeriod) => throw new NotSupportedException();

    public NbdServerInfo GetNbdServer() => throw new NotSupportedException();

    public BlockExportInfo AddBlockExport(BlockExportOptions options) => throw new NotSupportedException();

    public bool WaitForExportDeleted(string id, TimeSpan timeout, CancellationToken cancellationToken) => throw new NotSupportedException();

    public TlsCredsInfo AddTlsCreds(TlsCredsOptions options) => throw new NotSupportedException();

    public IReadOnlyList<TlsCredsInfo> GetTlsCreds() => throw new NotSupportedException();

    public AuthzInfo AddAuthz(AuthzOptions options) => throw new NotSupportedException();

    public IReadOnlyList<AuthzInfo> GetAuthz() => throw new NotSupportedException();

    public void RemoveObject(string id) => throw new NotSupportedException();
}
