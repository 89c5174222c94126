namespace ExportPS.Engine.Net;

/// <summary>Which frames of a netdev a capture sees, as the queue property of QEMU's netfilters.</summary>
public enum NetCaptureDirection
{
    /// <summary>Both directions.</summary>
    All,

    /// <summary>Frames delivered to the netdev by its peer (its Received side).</summary>
    Rx,

    /// <summary>Frames the netdev sends to its peer (its Sent side).</summary>
    Tx,
}
