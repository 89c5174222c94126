using ExportPS.Engine.Block;
using ExportPS.Engine.Model;
using ExportPS.Engine.Threading;

namespace ExportPS.Engine.Exports.Nbd;

/// <summary>
/// One export on the NBD server: its name in the server's table, the connections that selected it, and the dirty bitmaps
/// it publishes (marked busy for its whole life).
/// </summary>
internal sealed class NbdExport : BlockExport
{
    private readonly object _lock = new();
    private readonly HashSet<NbdConnection> _connections = [];
    private bool _dropping;

    public NbdExport(BlockExportOptions options, BlockNode node, IoThread? ioThread, NbdServer server, IReadOnlyList<DirtyBitmap> bitmaps)
        : base(options, node, ioThread)
    {
        Server = server;
        Name = options.Nbd.Name ?? node.NodeName;
        Description = options.Nbd.Description ?? string.Empty;
        Bitmaps = bitmaps;
        server.AddExport(this);
        foreach (var bitmap in bitmaps)
        {
            bitmap.AddUser();
        }
    }

    public NbdServer Server { get; }

    public string Name { get; }

    public string Description { get; }

    public IReadOnlyList<DirtyBitmap> Bitmaps { get; }

    public bool AllocationDepth => Options.Nbd.AllocationDepth;

    public override int ClientCount
    {
        get
        {
            lock (_lock)
            {
                return _connections.Count;
            }
        }
    }

    /// <summary>The transmission flags every client of this export sees (before per-connection extras).</summary>
    public ushort TransmissionFlags
    {
        get
        {
            ushort flags = NbdProtocol.FlagHasFlags | NbdProtocol.FlagSendFlush | NbdProtocol.FlagSendFua | NbdProtocol.FlagSendDf | NbdProtocol.FlagSendCache;
            flags |= Options.Writable
                ? (ushort)(NbdProtocol.FlagSendTrim | NbdProtocol.FlagSendWriteZeroes | NbdProtocol.FlagSendFastZero)
                : NbdProtocol.FlagReadOnly;
            if (Server.AllowsMultipleConnections)
            {
                flags |= NbdProtocol.FlagCanMultiConn;
            }

            return flags;
        }
    }

    /// <summary>A client selected this export; false when it is shutting down.</summary>
    public bool TryAttach(NbdConnection connection)
    {
        if (!TryAddReference())
        {
            return false;
        }

        lock (_lock)
        {
            if (!_dropping)
            {
                _connections.Add(connection);
                return true;
            }
        }

        ReleaseReference();
        return false;
    }

    public void Detach(NbdConnection connection)
    {
        lock (_lock)
        {
            if (!_connections.Remove(connection))
            {
                return;
            }
        }

        ReleaseReference();
    }

    protected override BlockExportDetails Details => new NbdExportDetails
    {
        Name = Name,
        Description = Description,
        Bitmaps = [.. Options.Nbd.Bitmaps],
        AllocationDepth = AllocationDepth,
    };

    protected override void OnShutdownRequested(bool dropClients)
    {
        Server.RemoveExport(this);
        if (!dropClients)
        {
            return;
        }

        NbdConnection[] clients;
        lock (_lock)
        {
            _dropping = true;
            clients = [.. _connections];
        }

        foreach (var client in clients)
        {
            client.Abort();
        }
    }

    protected override void OnDeleted()
    {
        foreach (var bitmap in Bitmaps)
        {
            bitmap.RemoveUser();
        }
    }
}
