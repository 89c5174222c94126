using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ExportPS.Engine.Net;

/// <summary>
/// One network client, as QEMU's NetClientState: an id, a backend, a link state, at most one peer, and counters per
/// direction. A down link drops frames in both directions and counts them; nothing is queued while down.
/// The data path (<see cref="Send"/>, <see cref="Deliver"/>) allocates nothing and takes no lock (an attached
/// capture's writer takes its own).
/// </summary>
public sealed class Netdev
{
    private volatile bool _linkUp = true;
    private Netdev? _peer;
    private NetCaptureTap[] _captures = [];
    private static readonly object PeeringLock = new(); // guards peering and capture lists, never the data path

    /// <param name="id">The netdev id.</param>
    /// <param name="createBackend">Makes the backend, given the netdev it hands frames from its far end to.</param>
    public Netdev(string id, Func<Netdev, INetBackend> createBackend)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        Id = id;
        Backend = createBackend(this);
    }

    public string Id { get; }

    public INetBackend Backend { get; }

    public string Type => Backend.Type;

    public bool LinkUp => _linkUp;

    public Netdev? Peer => Volatile.Read(ref _peer);

    /// <summary>The engine's logger factory, for a backend with events of its own (set by the engine before it starts).</summary>
    internal ILoggerFactory Loggers { get; set; } = NullLoggerFactory.Instance;

    /// <summary>Frames the peer delivered to this netdev.</summary>
    public NetTrafficCounters Received { get; } = new();

    /// <summary>Frames this netdev passed on to its peer.</summary>
    public NetTrafficCounters Sent { get; } = new();

    /// <summary>Passes a frame from this netdev's far end to its peer, or drops and counts it.</summary>
    public void Send(ReadOnlySpan<byte> frame)
    {
        if (!_linkUp)
        {
            Sent.RecordDrop(NetDropReason.LinkDown);
            return;
        }

        var peer = Volatile.Read(ref _peer);
        if (peer is null)
        {
            Sent.RecordDrop(NetDropReason.NoPeer);
            return;
        }

        Sent.RecordFrame(frame.Length);
        Capture(NetCaptureDirection.Tx, frame);
        peer.Deliver(frame);
    }

    /// <summary>
    /// Whether <see cref="Send"/> would pass a frame on rather than drop it as queue-full: true also when it would drop
    /// it for another reason (link down, no peer), so a reader that waits for this never waits on a path that is cut.
    /// </summary>
    public bool CanSend
    {
        get
        {
            var peer = Volatile.Read(ref _peer);
            return !_linkUp || peer is null || !peer._linkUp || peer.Backend.CanReceive;
        }
    }

    /// <summary>
    /// Backpressure, as QEMU's stream netdevs apply it: blocks a reader of this netdev's far end until its peer has room
    /// (or <paramref name="stopped"/> holds), so a relay between two streams slows its sender instead of dropping.
    /// </summary>
    public void WaitUntilCanSend(Func<bool> stopped)
    {
        if (!CanSend)
            NetRoomSignal.WaitUntil(() => CanSend, stopped);
    }

    /// <summary>
    /// Sends what a datagram-like wire (a datagram socket, a tap, a VDE port) gave in one read: a frame if its length is
    /// one, else it is dropped and counted (empty, or longer than a frame may be).
    /// </summary>
    public void SendReceived(ReadOnlySpan<byte> received)
    {
        if (DatagramFraming.IsFrame(received.Length, NetFrameLimits.MaxFrameLength, out var reason))
            Send(received);
        else
            RecordSendDrop(reason);
    }

    /// <summary>Counts a frame the backend read from its far end but could not turn into a frame to send.</summary>
    public void RecordSendDrop(NetDropReason reason) => Sent.RecordDrop(reason);

    /// <summary>Hands a frame from the peer to the backend, or drops and counts it.</summary>
    private void Deliver(ReadOnlySpan<byte> frame)
    {
        Capture(NetCaptureDirection.Rx, frame);
        if (!_linkUp)
        {
            Received.RecordDrop(NetDropReason.LinkDown);
            return;
        }

        if (Backend.TryReceive(frame, out var reason))
            Received.RecordFrame(frame.Length);
        else
            Received.RecordDrop(reason);
    }

    /// <summary>
    /// announce-self: one RARP frame for <paramref name="mac"/> out of this netdev's far end. It is delivered as if from
    /// the peer, as QEMU's NIC hands its announcement to its netdev (out of a hub port it goes out of the whole hub).
    /// </summary>
    public void Announce(MacAddress mac)
    {
        Span<byte> frame = stackalloc byte[RarpAnnounceFrame.Length];
        RarpAnnounceFrame.Write(mac, frame);
        Deliver(frame);
    }

    /// <summary>
    /// The captures attached to this netdev. As in QEMU, a sent frame is captured once it has passed this netdev's
    /// link and peer checks, and a delivered frame is captured before this netdev's own link check.
    /// </summary>
    public IReadOnlyList<NetCaptureTap> Captures => Volatile.Read(ref _captures);

    public void AddCapture(NetCaptureTap tap)
    {
        lock (PeeringLock)
            Volatile.Write(ref _captures, [.. _captures, tap]);
    }

    public bool RemoveCapture(NetCaptureTap tap)
    {
        lock (PeeringLock)
        {
            if (Array.IndexOf(_captures, tap) < 0)
                return false;
            Volatile.Write(ref _captures, [.. _captures.Where(other => !ReferenceEquals(other, tap))]);
            return true;
        }
    }

    private void Capture(NetCaptureDirection direction, ReadOnlySpan<byte> frame)
    {
        var captures = Volatile.Read(ref _captures);
        if (captures.Length == 0)
            return;
        var now = DateTimeOffset.UtcNow;
        foreach (var tap in captures)
        {
            if (tap.Sees(direction))
                tap.Writer.WriteFrame(frame, now);
        }
    }

    /// <summary>set_link: up resumes at once, down drops from now on. The backend hears of every change.</summary>
    public void SetLink(bool up)
    {
        if (_linkUp == up)
            return;
        _linkUp = up;
        Backend.LinkStatusChanged(up);
        NetRoomSignal.Pulse();
    }

    /// <summary>Peers two netdevs directly, as QEMU's netdev= does; each must be free.</summary>
    public static void Connect(Netdev a, Netdev b)
    {
        if (ReferenceEquals(a, b))
            throw new InvalidOperationException($"netdev '{a.Id}' cannot be its own peer");
        lock (PeeringLock)
        {
            if (a._peer is not null)
                throw new InvalidOperationException($"netdev '{a.Id}' is already in use by '{a._peer.Id}'");
            if (b._peer is not null)
                throw new InvalidOperationException($"netdev '{b.Id}' is already in use by '{b._peer.Id}'");
            Volatile.Write(ref a._peer, b);
            Volatile.Write(ref b._peer, a);
        }
    }

    /// <summary>Unpeers this netdev and its peer; what either sends from now on is dropped as no-peer.</summary>
    public void Disconnect()
    {
        lock (PeeringLock)
        {
            var peer = _peer;
            if (peer is null)
                return;
            Volatile.Write(ref peer._peer, null);
            Volatile.Write(ref _peer, null);
        }

        NetRoomSignal.Pulse();
    }

    public NetdevCountersInfo GetCounters() =>
        NetdevCountersInfo.From(Id, Type, _linkUp, Peer?.Id, Received.Snapshot(), Sent.Snapshot());
}
