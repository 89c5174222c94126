using ExportPS.Engine.Model;
using ExportPS.Engine.Net.Slirp;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

/// <summary>A user netdev's options resolved to its virtual network with QEMU's defaults, rules and error texts.</summary>
public sealed class UserNetworkTests
{
    private static UserNetdevOptions User(Func<UserNetdevOptions, UserNetdevOptions>? with = null) =>
        (with ?? (o => o))(new UserNetdevOptions { Id = "u" });

    private static string Address(uint address) => Ipv4Text.Format(address);

    [Fact]
    public void NoOptionsGiveQemusHistoricNetwork()
    {
        var network = UserNetwork.Resolve(User());
        Assert.Equal(("10.0.2.0", "255.255.255.0", "10.0.2.2", "10.0.2.15", "10.0.2.3"),
            (Address(network.Network), Address(network.Mask), Address(network.Host), Address(network.DhcpStart), Address(network.Dns)));
        Assert.Equal(("fec0::", 64, "fec0::2", "fec0::3"), (network.Prefix6.ToString(), network.PrefixLength6, network.Host6.ToString(), network.Dns6.ToString()));
        Assert.True(network.Ipv4 && network.Ipv6 && !network.Restricted);
    }

    [Theory]
    [InlineData("192.168.76.0/24", "192.168.76.0", "255.255.255.0", "192.168.76.2")]
    [InlineData("10.1.2.3/16", "10.1.0.0", "255.255.0.0", "10.1.2.2")]
    [InlineData("172.20.0.0/255.255.0.0", "172.20.0.0", "255.255.0.0", "172.20.2.2")]
    [InlineData("10.9.0.0", "10.0.0.0", "255.0.0.0", "10.0.2.2")]
    [InlineData("172.17.0.0", "172.16.0.0", "255.240.0.0", "172.16.2.2")]
    [InlineData("192.168.5.0", "192.168.0.0", "255.255.0.0", "192.168.2.2")]
    public void NetTakesBitsAMaskOrTheMaskOfItsClass(string net, string network, string mask, string host)
    {
        var resolved = UserNetwork.Resolve(User(o => o with { Net = net }));
        Assert.Equal((network, mask, host), (Address(resolved.Network), Address(resolved.Mask), Address(resolved.Host)));
    }

    [Fact]
    public void IpIsTheLegacyFormOfASlash24Net()
    {
        var resolved = UserNetwork.Resolve(User(o => o with { Ip = "10.5.5.9" }));
        Assert.Equal(("10.5.5.0", "10.5.5.15"), (Address(resolved.Network), Address(resolved.DhcpStart)));
    }

    [Theory]
    [InlineData(true, null, true, false)]
    [InlineData(null, true, false, true)]
    [InlineData(false, null, false, true)]
    [InlineData(true, true, true, true)]
    public void Ipv4AndIpv6FollowQemusRules(bool? ipv4, bool? ipv6, bool expect4, bool expect6)
    {
        var network = UserNetwork.Resolve(User(o => o with { Ipv4 = ipv4, Ipv6 = ipv6 }));
        Assert.Equal((expect4, expect6), (network.Ipv4, network.Ipv6));
    }

    public static TheoryData<UserNetdevOptions, string> Refusals() => new()
    {
        { User(o => o with { Ipv4 = false, Ipv6 = false }), "IPv4 and IPv6 disabled" },
        { User(o => o with { Ipv4 = false, Net = "10.0.3.0/24" }), "IPv4 disabled but netmask/host/dns provided" },
        { User(o => o with { Ipv6 = false, Ipv6Host = "fec0::9" }), "IPv6 disabled but prefix/host6/dns6 provided" },
        { User(o => o with { Net = "bogus" }), "Failed to parse netmask" },
        { User(o => o with { Net = "10.0.3.0/33" }), "Invalid netmask provided (must be in range 4-32)" },
        { User(o => o with { Net = "10.0.3.0/255.x" }), "Failed to parse netmask (trailing chars)" },
        { User(o => o with { Host = "10.0.3.2" }), "Host doesn't belong to network" },
        { User(o => o with { Host = "nowhere" }), "Failed to parse host" },
        { User(o => o with { Dns = "10.0.2.2" }), "DNS must be different from host" },
        { User(o => o with { Dns = "8.8.8.8", Restrict = true }), "DNS doesn't belong to network" },
        { User(o => o with { DhcpStart = "10.0.2.3" }), "DHCP must be different from host and DNS" },
        { User(o => o with { DhcpStart = "10.0.9.15" }), "DHCP doesn't belong to network" },
        { User(o => o with { DhcpStart = "x" }), "Failed to parse DHCP start address" },
        { User(o => o with { SmbServer = "x" }), "Failed to parse SMB address" },
        { User(o => o with { Ipv6Prefix = "fec0:::" }), "Failed to parse IPv6 prefix" },
        { User(o => o with { Ipv6PrefixLen = 127 }), "Invalid IPv6 prefix provided (IPv6 prefix length must be between 0 and 126)" },
        { User(o => o with { Ipv6Host = "fec1::2" }), "IPv6 Host doesn't belong to network" },
        { User(o => o with { Ipv6Dns = "fec1::3", Restrict = true }), "IPv6 DNS doesn't belong to network" },
        { User(o => o with { DomainName = "" }), "'domainname' parameter cannot be empty" },
        { User(o => o with { Hostname = new string('h', 256) }), "'vhostname' parameter cannot exceed 255 bytes" },
        { User(o => o with { TftpServerName = new string('t', 256) }), "'tftp-server-name' parameter cannot exceed 255 bytes" },
        { User(o => o with { HostFwd = ["tcp:127.0.0.1-:22"] }), "Invalid host forwarding rule 'tcp:127.0.0.1-:22' (Bad host address)" },
        { User(o => o with { GuestFwd = ["udp:10.0.2.100:1234-cmd:cat"] }), "Invalid guest forwarding rule 'udp:10.0.2.100:1234-cmd:cat'" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void BadOptionsAreRefusedWithQemusText(UserNetdevOptions options, string message)
    {
        Assert.False(UserNetwork.TryResolve(options, out _, out string? error));
        Assert.Equal(message, error);
        Assert.Equal(message, options.CombinationError());
    }

    [Theory]
    [InlineData("tcp:127.0.0.1:5555-:22", false, null, "127.0.0.1", 5555, "0.0.0.0", 22)]
    [InlineData("::5555-10.0.2.9:22", false, null, "0.0.0.0", 5555, "10.0.2.9", 22)]
    [InlineData("udp::0x15b3-:0x16", true, null, "0.0.0.0", 5555, "0.0.0.0", 22)]
    [InlineData("unix:/run/fwd.sock-:22", false, "/run/fwd.sock", "0.0.0.0", 0, "0.0.0.0", 22)]
    public void HostForwardRulesReadQemusSyntax(string text, bool udp, string? unixPath, string host, int hostPort, string guest, int guestPort)
    {
        var rule = HostForwardRule.Parse(text);
        Assert.Equal((udp, unixPath, host, hostPort, guest, guestPort),
            (rule.Udp, rule.UnixPath, Address(rule.HostAddress), rule.HostPort, Address(rule.GuestAddress), rule.GuestPort));
    }

    [Theory]
    [InlineData("tcp", "No : separators")]
    [InlineData("sctp::1-:2", "Bad protocol name")]
    [InlineData("tcp:127.0.0.1", "Missing : separator")]
    [InlineData("tcp::5555", "Bad host port separator")]
    [InlineData("tcp::x-:22", "Bad host port")]
    [InlineData("tcp::65536-:22", "Bad host port")]
    [InlineData("tcp::5555-22", "Missing guest address")]
    [InlineData("tcp::5555-10.0.2.x:22", "Bad guest address")]
    [InlineData("tcp::5555-:0", "Bad guest port")]
    [InlineData("unix:/run/fwd.sock", "Missing - separator")]
    [InlineData("unix:-:22", "Missing unix socket path")]
    [InlineData("unix:run/fwd.sock-:22", "unix socket path must be absolute")]
    public void BadHostForwardRulesNameTheirFault(string text, string reason) =>
        Assert.Equal($"Invalid host forwarding rule '{text}' ({reason})", Assert.Throws<FormatException>(() => HostForwardRule.Parse(text)).Message);

    [Fact]
    public void GuestForwardRulesTakeACommandOrAUnixSocketAndRefuseOtherCharacterDevices()
    {
        Assert.Equal(("10.0.2.100", 1234, "cat -", (string?)null),
            GuestForwardRule.Parse("tcp:10.0.2.100:1234-cmd:cat -") is var command ? (Address(command.Server), command.Port, command.Command, command.UnixPath) : default);
        Assert.Equal(("0.0.0.0", 80, (string?)null, "/run/web.sock"),
            GuestForwardRule.Parse("::80-unix:/run/web.sock") is var unix ? (Address(unix.Server), unix.Port, unix.Command, unix.UnixPath) : default);
        Assert.Contains("not supported", Assert.Throws<FormatException>(() => GuestForwardRule.Parse("tcp:10.0.2.100:1234-tcp:127.0.0.1:80")).Message);
        Assert.Equal("Invalid guest forwarding rule 'tcp:10.0.2.100:0-cmd:cat'",
            Assert.Throws<FormatException>(() => GuestForwardRule.Parse("tcp:10.0.2.100:0-cmd:cat")).Message);
    }

    [Theory]
    [InlineData("10.0.2.15", 0x0A00020Fu)]
    [InlineData("10.2", 0x0A000002u)]
    [InlineData("0x0a.0.2.017", 0x0A00020Fu)]
    [InlineData("167772687", 0x0A00020Fu)]
    public void Ipv4AddressesReadAsInetAtonReadsThem(string text, uint expected)
    {
        Assert.True(Ipv4Text.TryParse(text, out uint address));
        Assert.Equal(expected, address);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1.2.3.4.5")]
    [InlineData("256.0.0.1")]
    [InlineData("1.2.3.256")]
    [InlineData("a.b.c.d")]
    public void TextThatIsNoIpv4AddressIsRefused(string text) => Assert.False(Ipv4Text.TryParse(text, out _));
}
