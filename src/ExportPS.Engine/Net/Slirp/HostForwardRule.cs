namespace ExportPS.Engine.Net.Slirp;

/// <summary>
/// One hostfwd= rule in QEMU's syntax: <c>[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT</c> (a host TCP or UDP
/// port forwarded into the guest network; HOSTADDR defaults to every address, GUESTADDR to the first DHCP address) or
/// <c>unix:PATH-[GUESTADDR]:GUESTPORT</c> (a unix socket the netdev listens on; QEMU 7.2 has no unix rules, later QEMU does). Refusals carry QEMU's reasons.
/// </summary>
internal sealed record HostForwardRule
{
    /// <summary>sun_path holds 108 bytes with the terminating NUL.</summary>
    public const int MaxUnixPathLength = 107;

    public required string Text { get; init; }

    public bool Udp { get; init; }

    /// <summary>The socket path of a unix rule; null for TCP and UDP.</summary>
    public string? UnixPath { get; init; }

    /// <summary>The host address bound (host byte order; 0: every address).</summary>
    public uint HostAddress { get; init; }

    public int HostPort { get; init; }

    /// <summary>The guest address (host byte order; 0: the first DHCP address).</summary>
    public uint GuestAddress { get; init; }

    public int GuestPort { get; init; }

    public static HostForwardRule Parse(string text)
    {
        string rest = text;
        string protocol = Take(ref rest, ':') ?? throw Invalid(text, "No : separators");
        bool udp = protocol == "udp", unix = protocol == "unix";
        if (protocol is not ("tcp" or "" or "udp" or "unix"))
            throw Invalid(text, "Bad protocol name");

        string? unixPath = null;
        uint hostAddress = 0;
        long hostPort = 0;
        if (unix)
        {
            unixPath = TakeLast(ref rest, '-') ?? throw Invalid(text, "Missing - separator");
            if (unixPath.Length == 0)
                throw Invalid(text, "Missing unix socket path");
            if (unixPath[0] != '/')
                throw Invalid(text, "unix socket path must be absolute");
            if (System.Text.Encoding.UTF8.GetByteCount(unixPath) > MaxUnixPathLength)
                throw Invalid(text, "Unix socket path is too long");
        }
        else
        {
            string address = Take(ref rest, ':') ?? throw Invalid(text, "Missing : separator");
            if (address.Length > 0 && !Ipv4Text.TryParse(address, out hostAddress))
                throw Invalid(text, "Bad host address");
            string port = Take(ref rest, '-') ?? throw Invalid(text, "Bad host port separator");
            if (!CInteger.TryParseLeading(port, out hostPort, out _) || hostPort is < 0 or > 65535)
                throw Invalid(text, "Bad host port");
        }

        string guest = Take(ref rest, ':') ?? throw Invalid(text, "Missing guest address");
        uint guestAddress = 0;
        if (guest.Length > 0 && !Ipv4Text.TryParse(guest, out guestAddress))
            throw Invalid(text, "Bad guest address");
        if (!CInteger.TryParseLeading(rest, out long guestPort, out _) || guestPort is < 1 or > 65535)
            throw Invalid(text, "Bad guest port");

        return new HostForwardRule
        {
            Text = text,
            Udp = udp,
            UnixPath = unixPath,
            HostAddress = hostAddress,
            HostPort = (int)hostPort,
            GuestAddress = guestAddress,
            GuestPort = (int)guestPort,
        };
    }

    /// <summary>The text before the first <paramref name="separator"/> (the rest keeps what follows it), or null without one.</summary>
    internal static string? Take(ref string rest, char separator)
    {
        int at = rest.IndexOf(separator, StringComparison.Ordinal);
        if (at < 0)
            return null;
        string taken = rest[..at];
        rest = rest[(at + 1)..];
        return taken;
    }

    /// <summary>
    /// As <see cref="Take"/>, up to the last <paramref name="separator"/>: a unix path may hold a '-' (QEMU splits at
    /// the first, refusing such paths), the guest part never does.
    /// </summary>
    private static string? TakeLast(ref string rest, char separator)
    {
        int at = rest.LastIndexOf(separator);
        if (at < 0)
            return null;
        string taken = rest[..at];
        rest = rest[(at + 1)..];
        return taken;
    }

    internal static FormatException Invalid(string text, string reason) => new($"Invalid host forwarding rule '{text}' ({reason})");
}
