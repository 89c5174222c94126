namespace ExportPS.Engine.Net;

/// <summary>Frame size limits shared by the wire codecs.</summary>
public static class NetFrameLimits
{
    /// <summary>
    /// The largest frame accepted from or sent to a wire: QEMU's NET_BUFSIZE (4096 + 65536), the receive buffer of its
    /// socket, stream and dgram netdevs, so every frame a QEMU peer sends fits and nothing larger is taken.
    /// </summary>
    public const int MaxFrameLength = 4096 + 65536;
}
