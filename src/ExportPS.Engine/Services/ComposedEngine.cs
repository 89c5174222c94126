using ExportPS.Engine.Model;

namespace ExportPS.Engine;

/// <summary>
/// An <see cref="IExportEngine"/> made of one service per subsystem, each call handed to its subsystem. Lets an engine
/// (or a test fake) replace one subsystem and keep the others.
/// </summary>
public class ComposedEngine(IBlockGraph graph, IUserObjects objects, IBlockExports exports, INbdServerService nbdServer, INetdevs netdevs) : IExportEngine
{
    public event EventHandler<BlockExportDeletedEventArgs>? ExportDeleted
    {
        add => exports.ExportDeleted += value;
        remove => exports.ExportDeleted -= value;
    }

    public BlockNodeInfo AddBlockNode(BlockNodeOptions options) => graph.AddBlockNode(options);

    public void RemoveBlockNode(string nodeName) => graph.RemoveBlockNode(nodeName);

    public IReadOnlyList<BlockNodeInfo> GetBlockNodes() => graph.GetBlockNodes();

    public DirtyBitmapInfo AddDirtyBitmap(DirtyBitmapOptions options) => graph.AddDirtyBitmap(options);

    public void RemoveDirtyBitmap(string nodeName, string name) => graph.RemoveDirtyBitmap(nodeName, name);

    public void ClearDirtyBitmap(string nodeName, string name) => graph.ClearDirtyBitmap(nodeName, name);

    public void EnableDirtyBitmap(string nodeName, string name) => graph.EnableDirtyBitmap(nodeName, name);

    public void DisableDirtyBitmap(string nodeName, string name) => graph.DisableDirtyBitmap(nodeName, name);

    public void MergeDirtyBitmaps(string nodeName, string target, IReadOnlyList<string> sources) => graph.MergeDirtyBitmaps(nodeName, target, sources);

    public IReadOnlyList<DirtyBitmapInfo> GetDirtyBitmaps() => graph.GetDirtyBitmaps();

    public void SetBlockFault(BlockFaultOptions options) => graph.SetBlockFault(options);

    public void ClearBlockFault(string nodeName, BlockFaultOperation? operation) => graph.ClearBlockFault(nodeName, operation);

    public IReadOnlyList<BlockFaultInfo> GetBlockFaults() => graph.GetBlockFaults();

    public IoThreadInfo AddIoThread(IoThreadOptions options) => objects.AddIoThread(options);

    public void RemoveIoThread(string id) => objects.RemoveIoThread(id);

    public IReadOnlyList<IoThreadInfo> GetIoThreads() => objects.GetIoThreads();

    public TlsCredsInfo AddTlsCreds(TlsCredsOptions options) => objects.AddTlsCreds(options);

    public IReadOnlyList<TlsCredsInfo> GetTlsCreds() => objects.GetTlsCreds();

    public AuthzInfo AddAuthz(AuthzOptions options) => objects.AddAuthz(options);

    public IReadOnlyList<AuthzInfo> GetAuthz() => objects.GetAuthz();

    public void RemoveObject(string id) => objects.RemoveObject(id);

    public BlockExportInfo AddBlockExport(BlockExportOptions options) => exports.AddBlockExport(options);

    public void RemoveBlockExport(string id, BlockExportRemoveMode mode) => exports.RemoveBlockExport(id, mode);

    public IReadOnlyList<BlockExportInfo> GetBlockExports() => exports.GetBlockExports();

    public bool WaitForExportDeleted(string id, TimeSpan timeout, CancellationToken cancellationToken) =>
        exports.WaitForExportDeleted(id, timeout, cancellationToken);

    public NbdServerInfo StartNbdServer(NbdServerOptions options) => nbdServer.StartNbdServer(options);

    public void StopNbdServer(TimeSpan gracePeriod) => nbdServer.StopNbdServer(gracePeriod);

    public NbdServerInfo GetNbdServer() => nbdServer.GetNbdServer();

    public NetdevInfo AddNetdev(NetdevOptions options) => netdevs.AddNetdev(options);

    public void RemoveNetdev(string id) => netdevs.RemoveNetdev(id);

    public IReadOnlyList<NetdevInfo> GetNetdevs() => netdevs.GetNetdevs();

    public void SetLink(string name, bool up) => netdevs.SetLink(name, up);

    public void Announce(NetAnnounceOptions options) => netdevs.Announce(options);

    public NetCaptureInfo AddNetCapture(NetCaptureOptions options) => netdevs.AddNetCapture(options);

    public void RemoveNetCapture(string id) => netdevs.RemoveNetCapture(id);

    public IReadOnlyList<NetCaptureInfo> GetNetCaptures() => netdevs.GetNetCaptures();
}
