namespace ExportPS.Engine.Model;

/// <summary>
/// NetdevL2TPv3Options: Ethernet frames over an L2TPv3 tunnel (RFC 3931) between <see cref="Src"/> and
/// <see cref="Dst"/>, in raw IP (protocol 115) or, with <see cref="Udp"/>, in UDP between the two ports. Every data
/// packet has the session id of the far end, the cookie (32 or 64 bits) when both cookies are given, a sequence
/// counter when asked for, and <see cref="Offset"/> bytes before the frame.
/// </summary>
public sealed record L2tpv3NetdevOptions : NetdevOptions
{
    public const string TypeName = "l2tpv3";

    /// <summary>The largest offset QEMU takes.</summary>
    public const uint MaxOffset = 256;

    public override string Type => TypeName;

    public required string Src { get; init; }

    public required string Dst { get; init; }

    /// <summary>The UDP port bound (mandatory with udp=on; ignored for raw IP, as QEMU does).</summary>
    public int? SrcPort { get; init; }

    public int? DstPort { get; init; }

    public bool? Ipv6 { get; init; }

    public bool? Udp { get; init; }

    public bool? Cookie64 { get; init; }

    public bool? Counter { get; init; }

    public bool? PinCounter { get; init; }

    public ulong? TxCookie { get; init; }

    public ulong? RxCookie { get; init; }

    public required uint TxSession { get; init; }

    /// <summary>The session id expected on received packets; unset: the same as <see cref="TxSession"/>.</summary>
    public uint? RxSession { get; init; }

    public uint? Offset { get; init; }

    internal override string? CombinationError()
    {
        if (Offset > MaxOffset)
            return $"offset must be at most {MaxOffset} bytes";
        if ((TxCookie is null) != (RxCookie is null))
            return "require both 'rxcookie' and 'txcookie' or neither";
        if (Udp == true && (SrcPort is null || DstPort is null))
            return "need both src and dst port for udp";
        if (Cookie64 != true && (TxCookie > uint.MaxValue || RxCookie > uint.MaxValue))
            return "a cookie over 32 bits needs cookie64=on";
        return null;
    }

    public override string Summary() => NetdevSummary.Join(
        ("src", Src), ("dst", Dst), ("srcport", SrcPort?.ToString()), ("dstport", DstPort?.ToString()),
        ("ipv6", NetdevSummary.OnOff(Ipv6)), ("udp", NetdevSummary.OnOff(Udp)), ("cookie64", NetdevSummary.OnOff(Cookie64)),
        ("counter", NetdevSummary.OnOff(Counter)), ("pincounter", NetdevSummary.OnOff(PinCounter)),
        ("txcookie", TxCookie?.ToString()), ("rxcookie", RxCookie?.ToString()), ("txsession", TxSession.ToString()),
        ("rxsession", RxSession?.ToString()), ("offset", Offset?.ToString()));
}
