using ExportPS.Engine.Model;
using Xunit;
using static ExportPS.Host.Tests.HostParsing;

namespace ExportPS.Host.Tests;

/// <summary>--netdev vde,... and --netdev bridge,... in qemu-system-x86_64's syntax, and the same as QMP arguments.</summary>
public class VdeBridgeNetdevParserTests
{
    [Fact]
    public void VdeReadsEveryOptionInBothFormsWithTheModeInOctalOnTheCommandLine()
    {
        var expected = new VdeNetdevOptions { Id = "v", Sock = "/run/vde.ctl", Port = 7, Group = "kvm", Mode = 448 };
        Assert.Equal(expected, Netdev("vde,id=v,sock=/run/vde.ctl,port=7,group=kvm,mode=0700"));
        Assert.Equal(expected, NetdevFromQmp("""{"type":"vde","id":"v","sock":"/run/vde.ctl","port":7,"group":"kvm","mode":448}"""));
        Assert.Equal(expected with { Mode = 448 }, Netdev("vde,id=v,sock=/run/vde.ctl,port=7,group=kvm,mode=0x1c0"));
        Assert.Equal(expected with { Mode = 700 }, Netdev("vde,id=v,sock=/run/vde.ctl,port=7,group=kvm,mode=700"));
        Assert.Equal("sock=/run/vde.ctl,port=7,group=kvm,mode=0700", expected.Summary());
        Assert.Equal(new VdeNetdevOptions { Id = "d" }, Netdev("vde,id=d"));
    }

    [Fact]
    public void BridgeReadsBothOptionsInBothForms()
    {
        var expected = new BridgeNetdevOptions { Id = "b", Br = "br1", Helper = "/usr/lib/qemu/qemu-bridge-helper" };
        Assert.Equal(expected, Netdev("bridge,id=b,br=br1,helper=/usr/lib/qemu/qemu-bridge-helper"));
        Assert.Equal(expected, NetdevFromQmp("""{"type":"bridge","id":"b","br":"br1","helper":"/usr/lib/qemu/qemu-bridge-helper"}"""));
        Assert.Equal(new BridgeNetdevOptions { Id = "d" }, Netdev("bridge,id=d"));
    }

    [Theory]
    [InlineData("vde,id=v,port=65536", "Parameter 'port' expects uint16_t")]
    [InlineData("vde,id=v,port=x", "Parameter 'port' expects integer")]
    [InlineData("vde,id=v,mode=0800", "Parameter 'mode' expects integer")]
    [InlineData("vde,id=v,mode=0200000", "Parameter 'mode' expects uint16_t")]
    [InlineData("vde,id=v,mode=-1", "Parameter 'mode' expects uint16_t")]
    [InlineData("vde,id=v,bogus=1", "Parameter 'bogus' is unexpected")]
    [InlineData("bridge,id=b,ifname=x", "Parameter 'ifname' is unexpected")]
    public void BadValuesAreRefused(string argument, string message) => Assert.Equal(message, Error("netdev", argument));
}
