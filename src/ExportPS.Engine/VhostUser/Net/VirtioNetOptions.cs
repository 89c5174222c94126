using ExportPS.Engine.Net;

namespace ExportPS.Engine.VhostUser.Net;

/// <summary>What a virtio-net device model is built with.</summary>
public sealed record VirtioNetOptions
{
    /// <summary>Receive/transmit queue pairs: queue 2n receives, queue 2n+1 transmits.</summary>
    public int QueuePairs { get; init; } = 1;

    /// <summary>The MAC address the config space reports.</summary>
    public MacAddress Mac { get; init; }
}
