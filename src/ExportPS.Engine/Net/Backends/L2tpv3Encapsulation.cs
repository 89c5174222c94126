namespace ExportPS.Engine.Net.Backends;

/// <summary>
/// An l2tpv3 netdev's datagrams: each is one L2TPv3 data packet carrying one frame. A packet of another session or
/// cookie, or one without a frame, is not this end's. A raw IPv4 socket hands over the IP header too, which is skipped
/// by its length field.
/// </summary>
internal sealed class L2tpv3Encapsulation(L2tpv3Header header, bool receivesIPv4Header) : IDatagramEncapsulation
{
    /// <summary>The longest IPv4 header a raw IPv4 socket can hand over before the payload.</summary>
    private const int MaxIPv4HeaderLength = 60;

    private uint _sequence;

    public int MaxOverhead => (receivesIPv4Header ? MaxIPv4HeaderLength : 0) + header.Length;

    public int Wrap(ReadOnlySpan<byte> frame, Span<byte> packet)
    {
        header.Write(packet, ++_sequence);
        frame.CopyTo(packet[header.Length..]);
        return header.Length + frame.Length;
    }

    public bool TryUnwrap(Span<byte> packet, out Range frame)
    {
        int start = 0;
        if (receivesIPv4Header)
        {
            start = L2tpv3Header.IPv4HeaderLength(packet);
            if (start < 0)
            {
                frame = default;
                return false;
            }
        }

        frame = (start + header.Length)..packet.Length;
        return header.Check(packet[start..]) == L2tpv3PacketStatus.Frame;
    }
}
