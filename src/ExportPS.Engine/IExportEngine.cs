using ExportPS.Engine.Model;

namespace ExportPS.Engine;

/// <summary>
/// Everything a front end (cmdlets, the host's command line, a QMP server) may ask of an engine. Each call mirrors one QMP
/// command. A second implementation drives a remote engine over QMP, so callers must not depend on anything else.
/// Calls throw <see cref="Errors.EngineException"/> for anything refused.
/// </summary>
public interface IExportEngine
{
    // blockdev-add, blockdev-del, query-named-block-nodes
    BlockNodeInfo AddBlockNode(BlockNodeOptions options);

    void RemoveBlockNode(string nodeName);

    IReadOnlyList<BlockNodeInfo> GetBlockNodes();

    // block-dirty-bitmap-*
    DirtyBitmapInfo AddDirtyBitmap(DirtyBitmapOptions options);

    void RemoveDirtyBitmap(string nodeName, string name);

    void ClearDirtyBitmap(string nodeName, string name);

    void EnableDirtyBitmap(string nodeName, string name);

    void DisableDirtyBitmap(string nodeName, string name);

    /// <summary>ORs each source ("name" on the same node, or "node/name") into the target.</summary>
    void MergeDirtyBitmaps(string nodeName, string target, IReadOnlyList<string> sources);

    IReadOnlyList<DirtyBitmapInfo> GetDirtyBitmaps();

    // object-add iothread, object-del, query-iothreads
    IoThreadInfo AddIoThread(IoThreadOptions options);

    void RemoveIoThread(string id);

    IReadOnlyList<IoThreadInfo> GetIoThreads();

    // object-add tls-creds-x509 (tls-creds-psk is refused), object-add authz-list / authz-simple, object-del
    TlsCredsInfo AddTlsCreds(TlsCredsOptions options);

    IReadOnlyList<TlsCredsInfo> GetTlsCreds();

    AuthzInfo AddAuthz(AuthzOptions options);

    IReadOnlyList<AuthzInfo> GetAuthz();

    /// <summary>
    /// object-del for any object id (TLS credentials, authz, iothread). Credentials are refused while the NBD server uses
    /// them; an authz may go at any time (connections look it up by id, and a missing one denies).
    /// </summary>
    void RemoveObject(string id);

    // nbd-server-start, nbd-server-stop
    NbdServerInfo StartNbdServer(NbdServerOptions options);

    /// <summary>Closes every NBD export; waits up to <paramref name="gracePeriod"/> for clients to finish, then drops them.</summary>
    void StopNbdServer(TimeSpan gracePeriod);

    NbdServerInfo GetNbdServer();

    // block-export-add, block-export-del, query-block-exports
    BlockExportInfo AddBlockExport(BlockExportOptions options);

    void RemoveBlockExport(string id, BlockExportRemoveMode mode);

    IReadOnlyList<BlockExportInfo> GetBlockExports();

    /// <summary>Waits until no export with this id exists (BLOCK_EXPORT_DELETED). False on timeout.</summary>
    bool WaitForExportDeleted(string id, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>BLOCK_EXPORT_DELETED.</summary>
    event EventHandler<BlockExportDeletedEventArgs>? ExportDeleted;
}
