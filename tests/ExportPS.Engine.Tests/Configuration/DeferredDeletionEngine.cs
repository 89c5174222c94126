using ExportPS.Engine.Model;

namespace ExportPS.Engine.Tests.Configuration;

/// <summary>
/// An engine whose exports are deleted a while after their removal was requested (as with a host reached over QMP, or
/// clients that take time to go): until then they are listed as shutting down and hold their node. Logs every call.
/// </summary>
internal sealed class DeferredDeletionEngine(ExportEngine inner, TimeSpan delay) : IExportEngine
{
    private readonly object _lock = new();
    private readonly Dictionary<string, Task> _deleting = [];

    public List<string> Calls { get; } = [];

    public event EventHandler<BlockExportDeletedEventArgs>? ExportDeleted
    {
        add => inner.ExportDeleted += value;
        remove => inner.ExportDeleted -= value;
    }

    public void RemoveBlockExport(string id, BlockExportRemoveMode mode)
    {
        Log($"RemoveBlockExport {id}");
        inner.Exports.GetExport(id);
        lock (_lock)
        {
            _deleting[id] = Task.Delay(delay).ContinueWith(_ => inner.RemoveBlockExport(id, mode), TaskScheduler.Default);
        }
    }

    public IReadOnlyList<BlockExportInfo> GetBlockExports()
    {
        lock (_lock)
        {
            return inner.GetBlockExports().Select(e => _deleting.TryGetValue(e.Id, out var t) && !t.IsCompleted ? e with { ShuttingDown = true } : e).ToArray();
        }
    }

    public bool WaitForExportDeleted(string id, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Log($"WaitForExportDeleted {id}");
        Task? deleting;
        lock (_lock)
        {
            deleting = _deleting.GetValueOrDefault(id);
        }

        return (deleting is null || deleting.Wait(timeout, cancellationToken)) && inner.WaitForExportDeleted(id, timeout, cancellationToken);
    }

    public BlockNodeInfo AddBlockNode(BlockNodeOptions options) => Log($"AddBlockNode {options.NodeName}", () => inner.AddBlockNode(options));

    public void RemoveBlockNode(string nodeName) => Log($"RemoveBlockNode {nodeName}", () => { inner.RemoveBlockNode(nodeName); return 0; });

    public IReadOnlyList<BlockNodeInfo> GetBlockNodes() => inner.GetBlockNodes();

    public DirtyBitmapInfo AddDirtyBitmap(DirtyBitmapOptions options) => Log($"AddDirtyBitmap {options.NodeName}/{options.Name}", () => inner.AddDirtyBitmap(options));

    public void RemoveDirtyBitmap(string nodeName, string name) => Log($"RemoveDirtyBitmap {nodeName}/{name}", () => { inner.RemoveDirtyBitmap(nodeName, name); return 0; });

    public void ClearDirtyBitmap(string nodeName, string name) => inner.ClearDirtyBitmap(nodeName, name);

    public void EnableDirtyBitmap(string nodeName, string name) => Log($"EnableDirtyBitmap {nodeName}/{name}", () => { inner.EnableDirtyBitmap(nodeName, name); return 0; });

    public void DisableDirtyBitmap(string nodeName, string name) => Log($"DisableDirtyBitmap {nodeName}/{name}", () => { inner.DisableDirtyBitmap(nodeName, name); return 0; });

    public void MergeDirtyBitmaps(string nodeName, string target, IReadOnlyList<string> sources) => inner.MergeDirtyBitmaps(nodeName, target, sources);

    public IReadOnlyList<DirtyBitmapInfo> GetDirtyBitmaps() => inner.GetDirtyBitmaps();

    public void SetBlockFault(BlockFaultOptions options) => inner.SetBlockFault(options);

    public void ClearBlockFault(string nodeName, BlockFaultOperation? operation) => inner.ClearBlockFault(nodeName, operation);

    public IReadOnlyList<BlockFaultInfo> GetBlockFaults() => inner.GetBlockFaults();

    public IoThreadInfo AddIoThread(IoThreadOptions options) => Log($"AddIoThread {options.Id}", () => inner.AddIoThread(options));

    public void RemoveIoThread(string id) => Log($"RemoveIoThread {id}", () => { inner.RemoveIoThread(id); return 0; });

    public IReadOnlyList<IoThreadInfo> GetIoThreads() => inner.GetIoThreads();

    public NbdServerInfo StartNbdServer(NbdServerOptions options) => Log("StartNbdServer", () => inner.StartNbdServer(options));

    public void StopNbdServer(TimeSpan gracePeriod) => Log("StopNbdServer", () => { inner.StopNbdServer(gracePeriod); return 0; });

    public NbdServerInfo GetNbdServer() => inner.GetNbdServer();

    public BlockExportInfo AddBlockExport(BlockExportOptions options) => Log($"AddBlockExport {options.Id}", () => inner.AddBlockExport(options));

    private void Log(string call)
    {
        lock (_lock)
        {
            Calls.Add(call);
        }
    }

    private T Log<T>(string call, Func<T> action)
    {
        Log(call);
        return action();
    }

    public TlsCredsInfo AddTlsCreds(TlsCredsOptions options) => Log($"AddTlsCreds {options.Id}", () => inner.AddTlsCreds(options));

    public IReadOnlyList<TlsCredsInfo> GetTlsCreds() => inner.GetTlsCreds();

    public AuthzInfo AddAuthz(AuthzOptions options) => Log($"AddAuthz {options.Id}", () => inner.AddAuthz(options));

    public IReadOnlyList<AuthzInfo> GetAuthz() => inner.GetAuthz();

    public void RemoveObject(string id)
    {
        Log($"RemoveObject {id}");
        inner.RemoveObject(id);
    }

    public NetdevInfo AddNetdev(NetdevOptions options) => Log($"AddNetdev {options.Id}", () => inner.AddNetdev(options));

    public void RemoveNetdev(string id)
    {
        Log($"RemoveNetdev {id}");
        inner.RemoveNetdev(id);
    }

    public IReadOnlyList<NetdevInfo> GetNetdevs() => inner.GetNetdevs();

    public void SetLink(string name, bool up)
    {
        Log($"SetLink {name} {up}");
        inner.SetLink(name, up);
    }

    public void Announce(NetAnnounceOptions options) => inner.Announce(options);

    public NetCaptureInfo AddNetCapture(NetCaptureOptions options) => inner.AddNetCapture(options);

    public void RemoveNetCapture(string id) => inner.RemoveNetCapture(id);

    public IReadOnlyList<NetCaptureInfo> GetNetCaptures() => inner.GetNetCaptures();
}
