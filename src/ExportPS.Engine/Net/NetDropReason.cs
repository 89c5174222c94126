namespace ExportPS.Engine.Net;

/// <summary>Why a netdev discarded a frame; each reason has its own counter per direction.</summary>
public enum NetDropReason
{
    /// <summary>The link of the netdev (or of the one it delivers to) is down; frames are dropped, never queued.</summary>
    LinkDown,

    /// <summary>The netdev has no peer (no NIC, hub port or other netdev) to hand the frame to.</summary>
    NoPeer,

    /// <summary>The frame is longer than the wire or the receiver allows.</summary>
    Oversize,

    /// <summary>The frame could not be parsed (for example an empty frame).</summary>
    Malformed,

    /// <summary>The receiver's bounded queue is full: it cannot keep up, so the frame is dropped rather than buffered.</summary>
    QueueFull,
}
