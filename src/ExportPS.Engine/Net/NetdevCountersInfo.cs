namespace ExportPS.Engine.Net;

/// <summary>
/// The state and counters of one netdev, flat and plain-valued so PowerShell remoting serializes every member.
/// Received: frames its peer delivered to it (bound for the backend's far end). Sent: frames it passed on to its peer
/// (from the backend's far end, or for a hub port from the hub).
/// </summary>
public sealed record NetdevCountersInfo(
    string Id,
    string Type,
    bool LinkUp,
    string? Peer,
    long ReceivedFrames,
    long ReceivedBytes,
    long ReceivedDropped,
    long ReceivedDroppedLinkDown,
    long ReceivedDroppedNoPeer,
    long ReceivedDroppedOversize,
    long ReceivedDroppedMalformed,
    long ReceivedDroppedQueueFull,
    long SentFrames,
    long SentBytes,
    long SentDropped,
    long SentDroppedLinkDown,
    long SentDroppedNoPeer,
    long SentDroppedOversize,
    long SentDroppedMalformed,
    long SentDroppedQueueFull)
{
    public static NetdevCountersInfo From(string id, string type, bool linkUp, string? peer,
        NetTrafficSnapshot received, NetTrafficSnapshot sent) => new(
        id, type, linkUp, peer,
        received.Frames, received.Bytes, received.Dropped, received.DroppedLinkDown, received.DroppedNoPeer,
        received.DroppedOversize, received.DroppedMalformed, received.DroppedQueueFull,
        sent.Frames, sent.Bytes, sent.Dropped, sent.DroppedLinkDown, sent.DroppedNoPeer,
        sent.DroppedOversize, sent.DroppedMalformed, sent.DroppedQueueFull);
}
