using ExportPS.Engine.Block;
using ExportPS.Engine.Model;
using ExportPS.Engine.Threading;

namespace ExportPS.Engine.Exports;

/// <summary>
/// The type-independent part of an export (QEMU's BlockExport): its node, options, iothread and reference count.
/// The registry holds one reference and every client one more; when shutdown was requested and the last reference
/// goes, the export is deleted and the engine raises ExportDeleted.
/// </summary>
public abstract class BlockExport
{
    private int _references = 1;
    private int _shuttingDown;
    private Action<BlockExport>? _onDeleted;

    protected BlockExport(BlockExportOptions options, BlockNode node, IoThread? ioThread)
    {
        Options = options;
        Node = node;
        IoThread = ioThread;
        IoPolicy = ExportIoPolicy.For(options);
    }

    public BlockExportOptions Options { get; }

    public string Id => Options.Id;

    public BlockNode Node { get; }

    /// <summary>Writethrough and FUA, applied the same way by every export type.</summary>
    internal ExportIoPolicy IoPolicy { get; }

    /// <summary>The named iothread, or null for the default (the shared thread pool).</summary>
    public IoThread? IoThread { get; }

    public bool ShuttingDown => Volatile.Read(ref _shuttingDown) != 0;

    /// <summary>Connected clients (NBD connections, vhost-user sessions, FUSE mounts).</summary>
    public abstract int ClientCount { get; }

    /// <summary>The type's own part of the info record (an NBD export's name and bitmaps); null when it has none.</summary>
    protected virtual BlockExportDetails? Details => null;

    public BlockExportInfo ToInfo() => new()
    {
        Id = Id,
        Type = Options.Type,
        NodeName = Node.NodeName,
        ShuttingDown = ShuttingDown,
        Writable = Options.Writable,
        Writethrough = Options.Writethrough,
        IoThread = IoThread?.Id,
        Clients = ClientCount,
        Details = Details,
    };

    /// <summary>A client takes a reference for as long as it is connected. False once shutdown started: refuse the client.</summary>
    public bool TryAddReference()
    {
        while (true)
        {
            int current = Volatile.Read(ref _references);
            if (current == 0 || ShuttingDown)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _references, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    public void ReleaseReference()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            OnDeleted();
            _onDeleted?.Invoke(this);
        }
    }

    internal void AttachDeletedCallback(Action<BlockExport> onDeleted) => _onDeleted = onDeleted;

    /// <summary>
    /// Marks the export shutting down (no new clients) and lets the type stop it; <paramref name="dropClients"/> disconnects
    /// the connected ones. Releases the registry's reference once.
    /// </summary>
    internal void RequestShutdown(bool dropClients)
    {
        bool first = Interlocked.Exchange(ref _shuttingDown, 1) == 0;
        OnShutdownRequested(dropClients);
        if (first)
        {
            ReleaseReference();
        }
    }

    /// <summary>Stop accepting clients; with <paramref name="dropClients"/>, disconnect those there are.</summary>
    protected abstract void OnShutdownRequested(bool dropClients);

    /// <summary>The last reference is gone: free type-specific resources.</summary>
    protected virtual void OnDeleted()
    {
    }
}
