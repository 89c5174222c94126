namespace ExportPS.Engine.Net;

/// <summary>
/// What one netdev type does (socket, stream, dgram, tap, hub port, ...): it takes frames its peer delivers and hears
/// of link changes. Frames from its own far end it hands to <see cref="Netdev.Send"/> of the netdev that owns it.
/// The shared rules (link state, peer, counters) live in <see cref="Netdev"/>, so a backend holds none of them.
/// </summary>
public interface INetBackend
{
    /// <summary>The QAPI driver name (NetClientDriver): "socket", "stream", "dgram", "hubport", ...</summary>
    string Type { get; }

    /// <summary>
    /// A frame from the peer, bound for this backend's far end. The span is valid only during the call: a backend that
    /// writes later copies it (into a <see cref="NetFrameQueue"/>). Returns false with the reason when it drops it.
    /// </summary>
    bool TryReceive(ReadOnlySpan<byte> frame, out NetDropReason reason);

    /// <summary>
    /// Whether a frame delivered now would be taken rather than dropped as queue-full (QEMU's can_receive). A stream
    /// reader that feeds this backend waits while it is false; a backend without a queue always can.
    /// </summary>
    bool CanReceive => true;

    /// <summary>The netdev's link went up or down (set_link); a backend that can tell its far end does so.</summary>
    void LinkStatusChanged(bool up);
}
