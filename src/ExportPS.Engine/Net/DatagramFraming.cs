namespace ExportPS.Engine.Net;

/// <summary>
/// The framing of QEMU's socket udp=/mcast= and dgram netdevs: one datagram is one bare Ethernet frame. A receiver
/// reads into a buffer one byte longer than the limit, so a datagram that filled it was over the limit (and cut).
/// </summary>
public static class DatagramFraming
{
    /// <summary>The receive buffer length that tells an over-limit datagram from one exactly at the limit.</summary>
    public static int ReceiveBufferLength(int maxFrameLength) => maxFrameLength + 1;

    /// <summary>
    /// Checks a received datagram of <paramref name="received"/> bytes (read into a buffer of
    /// <see cref="ReceiveBufferLength"/>); returns false with the drop reason when it is not a frame to pass on.
    /// </summary>
    public static bool IsFrame(int received, int maxFrameLength, out NetDropReason reason)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(received);
        if (received == 0)
        {
            reason = NetDropReason.Malformed;
            return false;
        }

        if (received > maxFrameLength)
        {
            reason = NetDropReason.Oversize;
            return false;
        }

        reason = default;
        return true;
    }
}
