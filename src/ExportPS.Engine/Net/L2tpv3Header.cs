using System.Buffers.Binary;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Net;

/// <summary>How a received L2TPv3 packet was judged.</summary>
public enum L2tpv3PacketStatus
{
    /// <summary>A data packet of this session: the frame follows the header.</summary>
    Frame,

    /// <summary>No frame after the header (or not even a whole header).</summary>
    TooShort,

    /// <summary>The session id is not the one this end receives.</summary>
    WrongSession,

    /// <summary>The cookie is not the one this end receives.</summary>
    WrongCookie,
}

/// <summary>
/// The L2TPv3 data header as QEMU's l2tpv3 netdev writes and checks it (RFC 3931 with QEMU's choices): in UDP first a
/// 32-bit word 0x00030000 (T=0, version 3: a data message), then the 32-bit session id, the cookie (0, 4 or 8 bytes),
/// the 32-bit sequence counter when counter=on (always 0 with pincounter=on), and offset= bytes of padding (written as
/// zeros), all big-endian; the Ethernet frame follows. A receiver checks the cookie and the session id only, as QEMU.
/// </summary>
public sealed class L2tpv3Header
{
    /// <summary>The first word of a UDP-encapsulated data message.</summary>
    public const uint UdpDataMessage = 0x0003_0000;

    private readonly int _sessionOffset;
    private readonly int _cookieOffset;
    private readonly int _cookieLength;
    private readonly int _counterOffset;

    public L2tpv3Header(bool udp, int cookieLength, bool counter, bool pinCounter, int extraOffset, uint txSession, uint rxSession, ulong txCookie, ulong rxCookie)
    {
        if (cookieLength is not (0 or 4 or 8))
            throw new ArgumentOutOfRangeException(nameof(cookieLength), cookieLength, "a cookie is 0, 4 or 8 bytes");
        ArgumentOutOfRangeException.ThrowIfNegative(extraOffset);
        Udp = udp;
        _sessionOffset = udp ? 4 : 0;
        _cookieOffset = _sessionOffset + 4;
        _cookieLength = cookieLength;
        _counterOffset = counter ? _cookieOffset + cookieLength : -1;
        PinCounter = pinCounter;
        Length = _cookieOffset + cookieLength + (counter ? 4 : 0) + extraOffset;
        TxSession = txSession;
        RxSession = rxSession;
        TxCookie = txCookie;
        RxCookie = rxCookie;
    }

    /// <summary>The header of a netdev's options (the receive session defaults to the transmit one).</summary>
    public static L2tpv3Header From(L2tpv3NetdevOptions options) => new(
        udp: options.Udp == true,
        cookieLength: options.TxCookie is null ? 0 : options.Cookie64 == true ? 8 : 4,
        counter: options.Counter == true,
        pinCounter: options.PinCounter == true,
        extraOffset: (int)(options.Offset ?? 0),
        txSession: options.TxSession,
        rxSession: options.RxSession ?? options.TxSession,
        txCookie: options.TxCookie ?? 0,
        rxCookie: options.RxCookie ?? 0);

    public bool Udp { get; }

    public bool PinCounter { get; }

    public bool HasCounter => _counterOffset >= 0;

    /// <summary>Bytes before the frame in every data packet.</summary>
    public int Length { get; }

    public uint TxSession { get; }

    public uint RxSession { get; }

    public ulong TxCookie { get; }

    public ulong RxCookie { get; }

    /// <summary>Writes the header of the packet numbered <paramref name="sequence"/> (1 for the first, as QEMU counts).</summary>
    public void Write(Span<byte> header, uint sequence)
    {
        header[..Length].Clear();
        if (Udp)
            BinaryPrimitives.WriteUInt32BigEndian(header, UdpDataMessage);
        BinaryPrimitives.WriteUInt32BigEndian(header[_sessionOffset..], TxSession);
        if (_cookieLength == 8)
            BinaryPrimitives.WriteUInt64BigEndian(header[_cookieOffset..], TxCookie);
        else if (_cookieLength == 4)
            BinaryPrimitives.WriteUInt32BigEndian(header[_cookieOffset..], (uint)TxCookie);
        if (HasCounter)
            BinaryPrimitives.WriteUInt32BigEndian(header[_counterOffset..], PinCounter ? 0 : sequence);
    }

    /// <summary>
    /// Checks a received packet (from its L2TPv3 header on: a raw IPv4 socket's IP header already skipped); on
    /// <see cref="L2tpv3PacketStatus.Frame"/> the frame is <c>packet[Length..]</c>.
    /// </summary>
    public L2tpv3PacketStatus Check(ReadOnlySpan<byte> packet)
    {
        if (packet.Length <= Length)
            return L2tpv3PacketStatus.TooShort;
        if (_cookieLength == 8 && BinaryPrimitives.ReadUInt64BigEndian(packet[_cookieOffset..]) != RxCookie)
            return L2tpv3PacketStatus.WrongCookie;
        if (_cookieLength == 4 && BinaryPrimitives.ReadUInt32BigEndian(packet[_cookieOffset..]) != (uint)RxCookie)
            return L2tpv3PacketStatus.WrongCookie;
        if (BinaryPrimitives.ReadUInt32BigEndian(packet[_sessionOffset..]) != RxSession)
            return L2tpv3PacketStatus.WrongSession;
        return L2tpv3PacketStatus.Frame;
    }

    /// <summary>
    /// The length of the IPv4 header a raw IPv4 socket hands over before the payload (its IHL field), or -1 when the
    /// packet is too short to hold it. Raw IPv6 sockets hand over the payload only.
    /// </summary>
    public static int IPv4HeaderLength(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 20)
            return -1;
        int length = (packet[0] & 0x0F) * 4;
        return length < 20 || length > packet.Length ? -1 : length;
    }
}
