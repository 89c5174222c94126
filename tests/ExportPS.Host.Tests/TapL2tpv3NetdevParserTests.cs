using ExportPS.Engine.Model;
using Xunit;
using static ExportPS.Host.Tests.HostParsing;

namespace ExportPS.Host.Tests;

/// <summary>--netdev tap,... and --netdev l2tpv3,... in qemu-system-x86_64's syntax, and the same as QMP arguments.</summary>
public class TapL2tpv3NetdevParserTests
{
    [Fact]
    public void TapReadsEveryOptionInBothForms()
    {
        var expected = new TapNetdevOptions
        {
            Id = "t", IfName = "tap7", Script = "/etc/up", DownScript = "no", SndBuf = 1 << 20, VnetHdr = true, Queues = 2,
            Vhost = false, VhostForce = false, PollUs = 0,
        };
        Assert.Equal(expected, Netdev("tap,id=t,ifname=tap7,script=/etc/up,downscript=no,sndbuf=1M,vnet_hdr=on,queues=2,vhost=off,vhostforce=off,poll-us=0"));
        Assert.Equal(expected, QmpNetdev("""
            {"type":"tap","id":"t","ifname":"tap7","script":"/etc/up","downscript":"no","sndbuf":1048576,"vnet_hdr":true,
             "queues":2,"vhost":false,"vhostforce":false,"poll-us":0}
            """));
        Assert.Equal(new TapNetdevOptions { Id = "h", Helper = "/usr/lib/qemu/qemu-bridge-helper", Br = "br1" },
            Netdev("tap,id=h,helper=/usr/lib/qemu/qemu-bridge-helper,br=br1"));
        Assert.Equal(new TapNetdevOptions { Id = "f", Fds = "5:6", VhostFds = "7:8", VhostFd = "9" }, Netdev("tap,id=f,fds=5:6,vhostfds=7:8,vhostfd=9"));
    }

    [Fact]
    public void L2tpv3ReadsEveryOptionInBothForms()
    {
        var expected = new L2tpv3NetdevOptions
        {
            Id = "l", Src = "::1", Dst = "::1", SrcPort = 1701, DstPort = 1702, Ipv6 = true, Udp = true, Cookie64 = true,
            Counter = true, PinCounter = false, TxCookie = ulong.MaxValue, RxCookie = 1, TxSession = uint.MaxValue, RxSession = 3, Offset = 8,
        };
        Assert.Equal(expected, Netdev(
            "l2tpv3,id=l,src=::1,dst=::1,srcport=1701,dstport=1702,ipv6=on,udp=on,cookie64=on,counter=on,pincounter=off," +
            "txcookie=18446744073709551615,rxcookie=1,txsession=4294967295,rxsession=3,offset=8"));
        Assert.Equal(expected, QmpNetdev("""
            {"type":"l2tpv3","id":"l","src":"::1","dst":"::1","srcport":"1701","dstport":"1702","ipv6":true,"udp":true,
             "cookie64":true,"counter":true,"pincounter":false,"txcookie":18446744073709551615,"rxcookie":1,
             "txsession":4294967295,"rxsession":3,"offset":8}
            """));
    }

    [Theory]
    [InlineData("l2tpv3,id=l,src=a,dst=b", "Parameter 'txsession' is missing")]
    [InlineData("l2tpv3,id=l,dst=b,txsession=1", "Parameter 'src' is missing")]
    [InlineData("l2tpv3,id=l,src=a,dst=b,txsession=4294967296", "Parameter 'txsession' expects uint32_t")]
    [InlineData("l2tpv3,id=l,src=a,dst=b,txsession=1,txcookie=-1", "Parameter 'txcookie' expects uint64_t")]
    [InlineData("l2tpv3,id=l,src=a,dst=b,txsession=1,srcport=x", "Parameter 'srcport' expects a port number from 0 to 65535, not 'x'")]
    [InlineData("tap,id=t,queues=x", "Parameter 'queues' expects integer")]
    [InlineData("tap,id=t,vnet_hdr=maybe", "Parameter 'vnet_hdr' expects 'on' or 'off'")]
    [InlineData("tap,id=t,bogus=1", "Parameter 'bogus' is unexpected")]
    public void BadValuesAreRefused(string argument, string message) => Assert.Equal(message, Error("netdev", argument));
}
