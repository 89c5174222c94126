using System.Net.Sockets;
using ExportPS.Engine.Logging;
using ExportPS.Engine.Transport;
using ExportPS.Engine.VhostUser;
using ExportPS.Engine.VhostUser.Net;
using Microsoft.Extensions.Logging;

namespace ExportPS.Engine.Net.Backends;

/// <summary>
/// The backend of a vhost-user netdev, ExportPS being the vhost-user-net back-end: it listens on a unix socket and serves
/// one front-end (QEMU) at a time, a later one after the current one leaves (QEMU reconnecting, or a new QEMU). Frames
/// the guest transmits go to the netdev's peer, and so does the RARP announcement QEMU asks for (SEND_RARP); frames
/// delivered to it fill the guest's receive buffers on the receive queue their flow steers to
/// (<see cref="VirtioNetRxSteering"/>), dropped as queue-full when the guest has posted none there, as no-peer while no
/// guest is running.
/// </summary>
internal sealed class VhostUserNetBackend : INetWorkerBackend, IVirtioNetWire
{
    public const string TypeName = "vhost-user";

    /// <summary>Why a front-end is disconnected when the netdev closes (removed, or the engine shut down).</summary>
    private const string ClosingReason = "the netdev is closing";

    private readonly Netdev _owner;
    private readonly SocketListener _listener;
    private readonly VirtioNetDevice _device;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _receiveLock = new();
    private readonly VirtioNetReceiver _receiver = new();
    private VhostUserSession? _session;
    private Task _run = Task.CompletedTask;

    public VhostUserNetBackend(Netdev owner, SocketListener listener, int queuePairs)
    {
        _owner = owner;
        _listener = listener;
        _device = new VirtioNetDevice(new VirtioNetOptions { QueuePairs = queuePairs }, this);
    }

    public string Type => TypeName;

    /// <summary>A front-end is connected and one of its receive queues runs.</summary>
    public bool Connected =>
        Volatile.Read(ref _session)?.Backend.Queues.Any(q => VirtioNetDevice.IsReceiveQueue(q.Index) && q.Started && q.Enabled) ?? false;

    /// <summary>Why the last front-end's session ended, when it broke the protocol; null otherwise.</summary>
    public string? LastFailure { get; private set; }

    /// <summary>
    /// What is wrong now, or went wrong last: a broken ring of the current front-end, else its last failed request, else
    /// why the previous front-end's session ended. Null when nothing ever failed.
    /// </summary>
    public string? Failure
    {
        get
        {
            var session = Volatile.Read(ref _session);
            return session?.Backend.Queues.Select(q => q.BrokenReason).FirstOrDefault(reason => reason is not null)
                ?? session?.LastError
                ?? LastFailure;
        }
    }

    /// <summary>Descriptor chains used on each virtqueue (receive queues even, transmit odd) by the current front-end.</summary>
    public long[]? VirtqueueCompletions =>
        Volatile.Read(ref _session)?.Backend.Queues.Select(q => q.Completed).ToArray() ?? new long[_device.NumQueues];

    public void Start() => _run = AcceptLoopAsync(_stop.Token);

    public bool TryReceive(ReadOnlySpan<byte> frame, out NetDropReason reason)
    {
        lock (_receiveLock)
        {
            var session = Volatile.Read(ref _session);
            if (session is null)
            {
                reason = NetDropReason.NoPeer;
                return false;
            }

            var queue = VirtioNetRxSteering.Choose(frame, session.Backend.Queues);
            if (queue is null)
            {
                reason = NetDropReason.QueueFull;
                return false;
            }

            return _receiver.TryWrite(queue, frame, _device.HeaderLength, _device.MergeableReceiveBuffers, out reason);
        }
    }

    /// <summary>The config space's link status follows the netdev's (the front-end's own NIC keeps its own).</summary>
    public void LinkStatusChanged(bool up) => _device.LinkUp = up;

    public void Transmit(ReadOnlySpan<byte> frame) => _owner.Send(frame);

    public void TransmitDropped(NetDropReason reason) => _owner.RecordSendDrop(reason);

    private async Task AcceptLoopAsync(CancellationToken token)
    {
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

            var session = new VhostUserSession(client, _device, null, $"vhost-user-net {_owner.Id}", _owner.Loggers.CreateLogger(VhostUserLog.Category));
            Volatile.Write(ref _session, session);
            if (token.IsCancellationRequested)
            {
                // Disposed between the accept and now: Dispose may not have seen this session.
                session.Abort(ClosingReason);
            }

            try
            {
                await Task.Run(session.RunAsync, CancellationToken.None).ConfigureAwait(false);
                LastFailure = session.FailureReason;
            }
            finally
            {
                lock (_receiveLock)
                {
                    Volatile.Write(ref _session, null);
                }

                session.Dispose();
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        Volatile.Read(ref _session)?.Abort(ClosingReason);
        try
        {
            _run.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
            // The loop ends on the cancellation; how it ended does not matter any more.
        }

        _stop.Dispose();
    }
}
