namespace ExportPS.Engine.Net;

/// <summary>The counters of one direction of a netdev at one moment.</summary>
public readonly record struct NetTrafficSnapshot(
    long Frames,
    long Bytes,
    long DroppedLinkDown,
    long DroppedNoPeer,
    long DroppedOversize,
    long DroppedMalformed,
    long DroppedQueueFull)
{
    public long Dropped => DroppedLinkDown + DroppedNoPeer + DroppedOversize + DroppedMalformed + DroppedQueueFull;
}
