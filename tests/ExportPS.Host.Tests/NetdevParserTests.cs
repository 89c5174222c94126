using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Host.CommandLine;
using Xunit;
using static ExportPS.Host.Tests.HostParsing;

namespace ExportPS.Host.Tests;

/// <summary>--netdev in qemu-system-x86_64's -netdev syntax (keyval, the type implied first, or JSON).</summary>
public class NetdevParserTests
{
    private static NetdevOptions Netdev(string argument) => Step<AddNetdevStep>("netdev", argument).Options;

    [Theory]
    [InlineData("socket,id=a,listen=127.0.0.1:5000")]
    [InlineData("type=socket,id=a,listen=127.0.0.1:5000")]
    [InlineData("""{"type":"socket","id":"a","listen":"127.0.0.1:5000"}""")]
    public void Socket_in_every_form(string argument) =>
        Assert.Equal(new SocketNetdevOptions { Id = "a", Listen = "127.0.0.1:5000" }, Netdev(argument));

    [Fact]
    public void Hubport_stream_and_dgram_read_their_branches()
    {
        Assert.Equal(new HubportNetdevOptions { Id = "p0", HubId = 0, Netdev = "a" }, Netdev("hubport,id=p0,hubid=0,netdev=a"));
        Assert.Equal(new StreamNetdevOptions { Id = "s", Server = true, Reconnect = 0, Address = SocketAddressOptions.Unix("/tmp/s.sock") },
            Netdev("stream,id=s,server=on,addr.type=unix,addr.path=/tmp/s.sock"));
        Assert.Equal(new StreamNetdevOptions { Id = "c", Reconnect = 5, Address = SocketAddressOptions.Inet("127.0.0.1", 7000) },
            Netdev("stream,id=c,server=off,reconnect=5,addr.type=inet,addr.host=127.0.0.1,addr.port=7000"));
        var dgram = Assert.IsType<DgramNetdevOptions>(Netdev("dgram,id=d,local.type=unix,local.path=/tmp/a,remote.type=unix,remote.path=/tmp/b"));
        Assert.Equal(("/tmp/a", "/tmp/b"), (dgram.Local.Path, dgram.Remote.Path));
    }

    [Theory]
    [InlineData("socket", "Parameter 'id' is missing")]
    [InlineData("hubport,id=p", "Parameter 'hubid' is missing")]
    [InlineData("hubport,id=p,hubid=x", "Parameter 'hubid' expects integer")]
    [InlineData("stream,id=s", "Parameter 'addr' is missing")]
    [InlineData("stream,id=s,addr.type=unix", "Parameter 'addr.path' is missing")]
    [InlineData("socket,id=a,listen=x,bogus=1", "Parameter 'bogus' is unexpected")]
    [InlineData("nic,id=a", "Parameter 'type' does not accept value 'nic'")]
    public void Bad_netdevs_are_refused(string argument, string message) => Assert.Equal(message, Error("netdev", argument));

    [Fact]
    public void Vhost_user_reads_its_chardev_and_queues()
    {
        Assert.Equal(new VhostUserNetdevOptions { Id = "v0", Chardev = "c0", Queues = 2 }, Netdev("vhost-user,id=v0,chardev=c0,queues=2"));
        Assert.Equal("Parameter 'chardev' is missing", Error("netdev", "vhost-user,id=v"));
    }

    [Fact]
    public void Netmap_is_refused_as_not_supported()
    {
        var error = Assert.Throws<EngineException>(() => Step("netdev", "netmap,id=n,ifname=vale0:0"));
        Assert.Equal(ErrorIds.NetdevTypeNotSupported, error.ErrorId);
    }
}
