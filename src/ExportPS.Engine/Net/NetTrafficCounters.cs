namespace ExportPS.Engine.Net;

/// <summary>
/// Frame, byte and drop counters of one direction of a netdev. Updated with Interlocked on the data path (no lock, no
/// allocation); <see cref="Snapshot"/> copies them into plain values.
/// </summary>
public sealed class NetTrafficCounters
{
    private long _frames;
    private long _bytes;
    private long _droppedLinkDown;
    private long _droppedNoPeer;
    private long _droppedOversize;
    private long _droppedMalformed;
    private long _droppedQueueFull;

    /// <summary>Counts one frame of <paramref name="length"/> bytes that passed.</summary>
    public void RecordFrame(int length)
    {
        Interlocked.Increment(ref _frames);
        Interlocked.Add(ref _bytes, length);
    }

    /// <summary>Counts one discarded frame under its reason.</summary>
    public void RecordDrop(NetDropReason reason) => Interlocked.Increment(ref DropCounter(reason));

    public NetTrafficSnapshot Snapshot() => new(
        Interlocked.Read(ref _frames),
        Interlocked.Read(ref _bytes),
        Interlocked.Read(ref _droppedLinkDown),
        Interlocked.Read(ref _droppedNoPeer),
        Interlocked.Read(ref _droppedOversize),
        Interlocked.Read(ref _droppedMalformed),
        Interlocked.Read(ref _droppedQueueFull));

    private ref long DropCounter(NetDropReason reason)
    {
        switch (reason)
        {
            case NetDropReason.LinkDown: return ref _droppedLinkDown;
            case NetDropReason.NoPeer: return ref _droppedNoPeer;
            case NetDropReason.Oversize: return ref _droppedOversize;
            case NetDropReason.Malformed: return ref _droppedMalformed;
            case NetDropReason.QueueFull: return ref _droppedQueueFull;
            default: throw new ArgumentOutOfRangeException(nameof(reason), reason, null);
        }
    }
}
