using System.Net;
using System.Net.Sockets;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Net.Slirp;

/// <summary>
/// The virtual network a user netdev's options describe, with QEMU's defaults filled in and QEMU's checks (and
/// texts) applied: the IPv4 network, mask, gateway/host, first DHCP address and DNS address, the IPv6 prefix with its
/// host and DNS, and the parsed forward rules. IPv4 values are in host byte order.
/// </summary>
internal sealed record UserNetwork
{
    /// <summary>QEMU's historic network, 10.0.2.0/24.</summary>
    private const uint DefaultNetwork = 0x0A000200;
    private const uint DefaultMask = 0xFFFFFF00;
    private const uint HostSuffix = 0x0202;
    private const uint DhcpSuffix = 0x020F;
    private const uint DnsSuffix = 0x0203;
    private const int DefaultPrefixLength = 64;
    private const int MaxPrefixLength = 126;
    private const int MaxNameLength = 255;

    public bool Restricted { get; private init; }
    public bool Ipv4 { get; private init; }
    public bool Ipv6 { get; private init; }
    public uint Network { get; private init; }
    public uint Mask { get; private init; }
    public uint Host { get; private init; }
    public uint DhcpStart { get; private init; }
    public uint Dns { get; private init; }
    public IPAddress Prefix6 { get; private init; } = IPAddress.IPv6None;
    public int PrefixLength6 { get; private init; }
    public IPAddress Host6 { get; private init; } = IPAddress.IPv6None;
    public IPAddress Dns6 { get; private init; } = IPAddress.IPv6None;
    public IReadOnlyList<HostForwardRule> HostForwards { get; private init; } = [];
    public IReadOnlyList<GuestForwardRule> GuestForwards { get; private init; } = [];

    public static bool TryResolve(UserNetdevOptions options, out UserNetwork? network, out string? error)
    {
        try
        {
            network = Resolve(options);
            error = null;
            return true;
        }
        catch (FormatException e)
        {
            network = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>The network of <paramref name="options"/>; a FormatException with QEMU's text when they do not describe one.</summary>
    public static UserNetwork Resolve(UserNetdevOptions options)
    {
        // QEMU: ipv4=on alone turns IPv6 off and ipv6=on alone IPv4; off turns off.
        bool ipv4 = !((options.Ipv6 == true && options.Ipv4 is null) || options.Ipv4 == false);
        bool ipv6 = !((options.Ipv4 == true && options.Ipv6 is null) || options.Ipv6 == false);
        bool restricted = options.Restrict == true;
        string? net = options.Net ?? (options.Ip is { } ip ? ip + "/24" : null);

        if (!ipv4 && (net is not null || options.Host is not null || options.Dns is not null))
            throw Error("IPv4 disabled but netmask/host/dns provided");
        if (!ipv6 && (options.Ipv6Prefix is not null || options.Ipv6Host is not null || options.Ipv6Dns is not null))
            throw Error("IPv6 disabled but prefix/host6/dns6 provided");
        if (!ipv4 && !ipv6)
            throw Error("IPv4 and IPv6 disabled");

        uint network = DefaultNetwork, mask = DefaultMask;
        if (net is not null)
            (network, mask) = ParseNetwork(net);
        uint host = network | (HostSuffix & ~mask), dhcp = network | (DhcpSuffix & ~mask), dns = network | (DnsSuffix & ~mask);

        if (options.Host is { } hostText && !Ipv4Text.TryParse(hostText, out host))
            throw Error("Failed to parse host");
        if ((host & mask) != network)
            throw Error("Host doesn't belong to network");
        if (options.Dns is { } dnsText && !Ipv4Text.TryParse(dnsText, out dns))
            throw Error("Failed to parse DNS");
        if (restricted && (dns & mask) != network)
            throw Error("DNS doesn't belong to network");
        if (dns == host)
            throw Error("DNS must be different from host");
        if (options.DhcpStart is { } dhcpText && !Ipv4Text.TryParse(dhcpText, out dhcp))
            throw Error("Failed to parse DHCP start address");
        if ((dhcp & mask) != network)
            throw Error("DHCP doesn't belong to network");
        if (dhcp == host || dhcp == dns)
            throw Error("DHCP must be different from host and DNS");
        if (options.SmbServer is { } smbServer && !Ipv4Text.TryParse(smbServer, out _))
            throw Error("Failed to parse SMB address");

        var prefix = ParseIpv6(options.Ipv6Prefix ?? "fec0::", "Failed to parse IPv6 prefix");
        int prefixLength = options.Ipv6PrefixLen is null or 0 ? DefaultPrefixLength : (int)Math.Clamp(options.Ipv6PrefixLen.Value, -1, MaxPrefixLength + 1);
        if (prefixLength is < 0 or > MaxPrefixLength)
            throw Error("Invalid IPv6 prefix provided (IPv6 prefix length must be between 0 and 126)");
        var host6 = options.Ipv6Host is { } host6Text ? ParseIpv6(host6Text, "Failed to parse IPv6 host") : WithLastByte(prefix, 2);
        if (options.Ipv6Host is not null && !SameNetwork(prefix, host6, prefixLength))
            throw Error("IPv6 Host doesn't belong to network");
        var dns6 = options.Ipv6Dns is { } dns6Text ? ParseIpv6(dns6Text, "Failed to parse IPv6 DNS") : WithLastByte(prefix, 3);
        if (options.Ipv6Dns is not null && restricted && !SameNetwork(prefix, dns6, prefixLength))
            throw Error("IPv6 DNS doesn't belong to network");

        if (options.DomainName is "")
            throw Error("'domainname' parameter cannot be empty");
        CheckLength(options.DomainName, "'domainname' parameter cannot exceed 255 bytes");
        CheckLength(options.Hostname, "'vhostname' parameter cannot exceed 255 bytes");
        CheckLength(options.TftpServerName, "'tftp-server-name' parameter cannot exceed 255 bytes");

        return new UserNetwork
        {
            Restricted = restricted,
            Ipv4 = ipv4,
            Ipv6 = ipv6,
            Network = network,
            Mask = mask,
            Host = host,
            DhcpStart = dhcp,
            Dns = dns,
            Prefix6 = prefix,
            PrefixLength6 = prefixLength,
            Host6 = host6,
            Dns6 = dns6,
            HostForwards = (options.HostFwd ?? []).Select(HostForwardRule.Parse).ToArray(),
            GuestForwards = (options.GuestFwd ?? []).Select(GuestForwardRule.Parse).ToArray(),
        };
    }

    /// <summary>ADDR (the mask of its class), ADDR/BITS (4 to 32) or ADDR/MASK; the address is masked.</summary>
    private static (uint Network, uint Mask) ParseNetwork(string text)
    {
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        uint mask;
        if (slash < 0)
        {
            if (!Ipv4Text.TryParse(text, out uint address))
                throw Error("Failed to parse netmask");
            mask = ClassMask(address);
            return (address & mask, mask);
        }

        if (!Ipv4Text.TryParse(text[..slash], out uint network))
            throw Error("Failed to parse netmask");
        string maskText = text[(slash + 1)..];
        long bits = 0; // an empty mask is strtol's 0
        if (maskText.Length == 0 || CInteger.TryParseDecimal(maskText, out bits))
        {
            if (bits is < 4 or > 32)
                throw Error("Invalid netmask provided (must be in range 4-32)");
            mask = uint.MaxValue << (int)(32 - bits);
        }
        else if (!Ipv4Text.TryParse(maskText, out mask))
        {
            throw Error("Failed to parse netmask (trailing chars)");
        }

        return (network & mask, mask);
    }

    /// <summary>The mask QEMU gives an address without one: its class, or the private range it is in.</summary>
    private static uint ClassMask(uint address) => address switch
    {
        _ when (address & 0x80000000) == 0 => 0xFF000000,
        _ when (address & 0xFFF00000) == 0xAC100000 => 0xFFF00000,
        _ when (address & 0xC0000000) == 0x80000000 => 0xFFFF0000,
        _ when (address & 0xFFFF0000) == 0xC0A80000 => 0xFFFF0000,
        _ when (address & 0xFFFF0000) == 0xC6120000 => 0xFFFE0000,
        _ when (address & 0xE0000000) == 0xE0000000 => 0xFFFFFF00,
        _ => 0xFFFFFFF0,
    };

    private static IPAddress ParseIpv6(string text, string error) =>
        IPAddress.TryParse(text, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6 && !text.Contains('%')
            ? address
            : throw Error(error);

    private static IPAddress WithLastByte(IPAddress prefix, byte bits)
    {
        byte[] bytes = prefix.GetAddressBytes();
        bytes[15] |= bits;
        return new IPAddress(bytes);
    }

    private static bool SameNetwork(IPAddress a, IPAddress b, int prefixLength)
    {
        byte[] x = a.GetAddressBytes(), y = b.GetAddressBytes();
        for (int bit = 0; bit < prefixLength; bit++)
        {
            int mask = 0x80 >> (bit % 8);
            if ((x[bit / 8] & mask) != (y[bit / 8] & mask))
                return false;
        }

        return true;
    }

    private static void CheckLength(string? value, string error)
    {
        if (value is not null && System.Text.Encoding.UTF8.GetByteCount(value) > MaxNameLength)
            throw Error(error);
    }

    private static FormatException Error(string message) => new(message);
}
