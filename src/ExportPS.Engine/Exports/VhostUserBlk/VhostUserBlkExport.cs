using System.Net.Sockets;
using ExportPS.Engine.Block;
using ExportPS.Engine.Logging;
using ExportPS.Engine.Model;
using ExportPS.Engine.Threading;
using ExportPS.Engine.Transport;
using ExportPS.Engine.VhostUser;
using ExportPS.Engine.VhostUser.Blk;
using Microsoft.Extensions.Logging;

namespace ExportPS.Engine.Exports.VhostUserBlk;

/// <summary>
/// A vhost-user-blk export: a virtio-blk device over the node, served to one front-end at a time on the export's
/// socket. As QEMU's vhost-user server, it accepts no other front-end while one is served: a second one waits in the
/// socket's backlog until the first has left. The connected front-end holds a reference on the export; a hard removal
/// aborts its session.
/// <para>
/// A session whose front-end left is retired before the next one is accepted: its requests in flight get a bounded
/// time to complete, the rest are abandoned (they write nothing more into guest memory), and only then does its memory
/// go.
/// </para>
/// </summary>
internal sealed class VhostUserBlkExport : BlockExport
{
    private readonly object _lock = new();
    private readonly SocketListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly VirtioBlkDevice _device;
    private readonly string _socket;
    private readonly ILogger _log;
    private readonly string _name; // the sessions' name in log events
    private VhostUserSession? _session;
    private bool _frontEndGone;

    public VhostUserBlkExport(BlockExportOptions options, VhostUserBlkExportOptions branch, BlockNode node, IoThread? ioThread, SocketListener listener, ILogger log)
        : base(options, node, ioThread)
    {
        _log = log;
        _name = $"vhost-user-blk {options.Id}";
        Branch = branch;
        _listener = listener;
        _socket = branch.Address.Kind == SocketAddressKind.Unix ? branch.Address.Path! : branch.Address.ToString();
        _device = new VirtioBlkDevice(node, new VirtioBlkOptions
        {
            LogicalBlockSize = (int)branch.LogicalBlockSize,
            NumQueues = branch.NumQueues,
            Writable = options.Writable,
            Writethrough = options.Writethrough,
            Serial = options.Id,
        });
        _ = Task.Run(AcceptLoopAsync);
    }

    public VhostUserBlkExportOptions Branch { get; }

    public override int ClientCount
    {
        get
        {
            lock (_lock)
            {
                return _session is null ? 0 : 1;
            }
        }
    }

    protected override BlockExportDetails Details
    {
        get
        {
            VhostUserSession? session;
            bool connected;
            lock (_lock)
            {
                session = _session;
                connected = session is not null && !_frontEndGone;
            }

            var backend = session?.Backend;
            return new VhostUserBlkExportDetails
            {
                Socket = _socket,
                FrontEndConnected = connected,
                NegotiatedFeatures = backend?.Features ?? 0,
                NumQueues = Branch.NumQueues,
                LogicalBlockSize = Branch.LogicalBlockSize,
                QueueRequests = backend is null ? new long[Branch.NumQueues] : [.. backend.Queues.Select(q => q.Completed)],
            };
        }
    }

    private async Task AcceptLoopAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            // One front-end at a time: the next accept comes once this one's session is retired.
            var session = TryStartSession(client);
            if (session is not null)
            {
                await ServeAsync(session).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The session for a new front-end; null (and the socket closed) when the export is shutting down.</summary>
    private VhostUserSession? TryStartSession(Socket client)
    {
        lock (_lock)
        {
            if (TryAddReference())
            {
                _session = new VhostUserSession(client, _device, IoThread, _name, _log);
                return _session;
            }
        }

        _log.Busy(_name);
        client.Dispose();
        return null;
    }

    private async Task ServeAsync(VhostUserSession session)
    {
        try
        {
            await (IoThread is null ? Task.Run(session.RunAsync) : IoThread.Run(session.RunAsync)).ConfigureAwait(false);
        }
        finally
        {
            await RetireAsync(session).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The front-end is gone: the session's requests in flight get their bounded time, the rest are abandoned, and only
    /// then is its memory let go and the next front-end accepted.
    /// </summary>
    private async Task RetireAsync(VhostUserSession session)
    {
        lock (_lock)
        {
            _frontEndGone = true;
        }

        try
        {
            await session.DrainAsync().ConfigureAwait(false);
        }
        finally
        {
            session.Dispose();
            lock (_lock)
            {
                _session = null;
                _frontEndGone = false;
            }

            ReleaseReference();
        }
    }

    protected override void OnShutdownRequested(bool dropClients)
    {
        _stopping.Cancel();
        _listener.Dispose();
        if (!dropClients)
        {
            return;
        }

        VhostUserSession? session;
        lock (_lock)
        {
            session = _session;
        }

        session?.Abort("the export is shutting down");
    }
}
