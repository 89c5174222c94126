using System.Net.Sockets;
using ExportPS.Engine.Logging;
using Microsoft.Extensions.Logging;

namespace ExportPS.Engine.Net.Backends;

/// <summary>
/// Where a stream backend gets its next connection: the next accepted peer, a new connection after the reconnect
/// delay, or null when there will be none.
/// </summary>
internal delegate Task<Socket?> NextConnection(CancellationToken cancellationToken);

/// <summary>
/// The backend of stream netdevs and of socket listen=/connect=/fd= (stream): one peer connection at a time, as QEMU's.
/// A server takes the next peer only after the current one closes (later ones wait in the backlog); a client connects
/// again after its reconnect delay. While no peer is connected, delivered frames are dropped as no-peer.
/// </summary>
internal sealed class StreamBackend : INetWorkerBackend
{
    private readonly Netdev _owner;
    private readonly Socket? _first;
    private readonly NextConnection _next;
    private readonly IDisposable? _listener;
    private readonly CancellationTokenSource _stop = new();
    private StreamConnection? _connection;
    private Task _run = Task.CompletedTask;

    /// <param name="type">"stream" or "socket".</param>
    /// <param name="owner">The netdev frames from the far end go to.</param>
    /// <param name="first">An already connected peer (a client's first connection, or an fd), if any.</param>
    /// <param name="next">Where the connections after <paramref name="first"/> come from.</param>
    /// <param name="listener">
    /// The listening socket of a server, or the socket of a client's first connection still in progress: closed with
    /// the backend.
    /// </param>
    public StreamBackend(string type, Netdev owner, Socket? first, NextConnection next, IDisposable? listener = null)
    {
        Type = type;
        _owner = owner;
        _first = first;
        _next = next;
        _listener = listener;
    }

    public string Type { get; }

    public bool Connected => Volatile.Read(ref _connection) is not null;

    public void Start() => _run = RunAsync(_stop.Token);

    public bool TryReceive(ReadOnlySpan<byte> frame, out NetDropReason reason)
    {
        var connection = Volatile.Read(ref _connection);
        reason = connection is null ? NetDropReason.NoPeer : NetDropReason.QueueFull;
        return connection is not null && connection.TryEnqueue(frame);
    }

    /// <summary>No room while the connection's writer is full; without a connection frames are dropped as no-peer.</summary>
    public bool CanReceive => Volatile.Read(ref _connection)?.HasRoom ?? true;

    /// <summary>The length-prefixed stream has no way to carry link state (QEMU's stream netdev sends none either).</summary>
    public void LinkStatusChanged(bool up)
    {
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var log = _owner.Loggers.CreateLogger(NetdevLog.Category);
        var socket = _first;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                socket ??= await _next(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (socket is null)
                return;
            var connection = new StreamConnection(socket, _owner);
            Volatile.Write(ref _connection, connection);
            if (cancellationToken.IsCancellationRequested)
            {
                connection.Dispose();
                return;
            }

            string peer = SocketPeerName.Of(socket);
            log.StreamConnected(_owner.Id, peer);
            connection.Start();
            await connection.Closed.ConfigureAwait(false);
            Interlocked.CompareExchange(ref _connection, null, connection);
            LogClosed(log, peer, connection, cancellationToken);
            socket = null;
        }
    }

    /// <summary>A connection that ended by itself; one closed by the netdev's removal is not logged (netdev_removed is).</summary>
    private void LogClosed(ILogger log, string peer, StreamConnection connection, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
            return;
        if (connection.FramingLost)
            log.StreamFramingLost(_owner.Id, peer, connection.CloseReason);
        else
            log.StreamDisconnected(_owner.Id, peer, connection.CloseReason);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener?.Dispose();
        Volatile.Read(ref _connection)?.Dispose();
        _run.Wait(TimeSpan.FromSeconds(5));
        Volatile.Read(ref _connection)?.Dispose();
        _first?.Dispose();
        _stop.Dispose();
    }
}
