using ExportPS.Engine.Model;
using Xunit;
using static ExportPS.Host.Tests.HostParsing;

namespace ExportPS.Host.Tests;

/// <summary>--netdev user,... in qemu-system-x86_64's syntax (list members repeated), and the same as QMP arguments.</summary>
public class UserNetdevParserTests
{
    [Fact]
    public void UserReadsEveryOptionInBothFormsAndRepeatedListKeysOnTheCommandLine()
    {
        var expected = new UserNetdevOptions
        {
            Id = "u", Hostname = "g", Restrict = true, Ipv4 = true, Ipv6 = true, Ip = "10.0.2.0", Net = "10.0.2.0/24", Host = "10.0.2.2",
            Tftp = "/srv", Bootfile = "pxe.0", DhcpStart = "10.0.2.20", Dns = "10.0.2.3", DnsSearch = ["a.test", "b.test"],
            DomainName = "d.test", Ipv6Prefix = "fd00::", Ipv6PrefixLen = 64, Ipv6Host = "fd00::2", Ipv6Dns = "fd00::3",
            Smb = "/smb", SmbServer = "10.0.2.4", HostFwd = ["tcp::5555-:22", "udp::5353-:53"], GuestFwd = ["tcp:10.0.2.100:1-cmd:cat"],
            TftpServerName = "t",
        };
        Assert.Equal(expected, Netdev(
            "user,id=u,hostname=g,restrict=on,ipv4=on,ipv6=on,ip=10.0.2.0,net=10.0.2.0/24,host=10.0.2.2,tftp=/srv,bootfile=pxe.0," +
            "dhcpstart=10.0.2.20,dns=10.0.2.3,dnssearch=a.test,dnssearch=b.test,domainname=d.test,ipv6-prefix=fd00::,ipv6-prefixlen=64," +
            "ipv6-host=fd00::2,ipv6-dns=fd00::3,smb=/smb,smbserver=10.0.2.4,hostfwd=tcp::5555-:22,hostfwd=udp::5353-:53," +
            "guestfwd=tcp:10.0.2.100:1-cmd:cat,tftp-server-name=t"));
        Assert.Equal(expected, NetdevFromQmp("""
            {"type":"user","id":"u","hostname":"g","restrict":true,"ipv4":true,"ipv6":true,"ip":"10.0.2.0","net":"10.0.2.0/24",
             "host":"10.0.2.2","tftp":"/srv","bootfile":"pxe.0","dhcpstart":"10.0.2.20","dns":"10.0.2.3",
             "dnssearch":[{"str":"a.test"},{"str":"b.test"}],"domainname":"d.test","ipv6-prefix":"fd00::","ipv6-prefixlen":64,
             "ipv6-host":"fd00::2","ipv6-dns":"fd00::3","smb":"/smb","smbserver":"10.0.2.4",
             "hostfwd":[{"str":"tcp::5555-:22"},{"str":"udp::5353-:53"}],"guestfwd":[{"str":"tcp:10.0.2.100:1-cmd:cat"}],"tftp-server-name":"t"}
            """));
        Assert.Equal(new UserNetdevOptions { Id = "u", HostFwd = ["tcp::1-:2"], Net = "10.0.3.0/24" }, Netdev("user,id=u,net=10.0.2.0/24,hostfwd.0.str=tcp::1-:2,net=10.0.3.0/24"));
    }

    [Theory]
    [InlineData("""{"type":"user","id":"u","hostfwd":["tcp::5555-:22"]}""", "Invalid parameter type for 'hostfwd[0]', expected: object")]
    [InlineData("""{"type":"user","id":"u","dnssearch":"a.test"}""", "Invalid parameter type for 'dnssearch', expected: array")]
    [InlineData("""{"type":"user","id":"u","restrict":"yes"}""", "Invalid parameter type for 'restrict', expected: boolean")]
    public void QmpTakesTheListsAsQapiStringObjectsAsQemuDoes(string json, string message) =>
        Assert.Equal(message, Assert.ThrowsAny<Exception>(() => NetdevFromQmp(json)).Message);
}
