namespace ExportPS.Engine.Model;

/// <summary>
/// NetdevSocketOptions: exactly one of listen, connect (TCP, length-prefixed frames), udp (with localaddr), mcast
/// (localaddr optional) or fd. Addresses are QEMU's "host:port" strings.
/// </summary>
public sealed record SocketNetdevOptions : NetdevOptions
{
    public const string TypeName = "socket";

    public override string Type => TypeName;

    public string? Listen { get; init; }

    public string? Connect { get; init; }

    public string? Udp { get; init; }

    public string? Mcast { get; init; }

    public string? LocalAddr { get; init; }

    public string? Fd { get; init; }

    internal override string? CombinationError()
    {
        int modes = new[] { Fd, Listen, Connect, Mcast, Udp }.Count(mode => mode is not null);
        if (modes != 1)
            return "exactly one of fd=, listen=, connect=, mcast= or udp= is required";
        if (LocalAddr is not null && Mcast is null && Udp is null)
            return "localaddr= is only valid with mcast= or udp=";
        if (Udp is not null && LocalAddr is null)
            return "localaddr= is mandatory with udp=";
        return null;
    }

    public override string Summary() => NetdevSummary.Join(
        ("listen", Listen), ("connect", Connect), ("udp", Udp), ("mcast", Mcast), ("localaddr", LocalAddr), ("fd", Fd));
}
