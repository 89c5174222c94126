using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qapi;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

/// <summary>The rules of netdev_add, netdev_del and set_link, and which types the option reader refuses and why.</summary>
public sealed class NetdevServiceTests : IDisposable
{
    private readonly ExportEngine _engine = new();

    public void Dispose() => _engine.Dispose();

    private static HubportNetdevOptions Port(string id, int hub = 0, string? netdev = null) => new() { Id = id, HubId = hub, Netdev = netdev };

    [Theory]
    [InlineData("", ErrorIds.MissingName)]
    [InlineData("1abc", ErrorIds.InvalidName)]
    [InlineData("a b", ErrorIds.InvalidName)]
    public void AnIdOutsideQemusRuleIsRefused(string id, string errorId)
    {
        var e = Assert.Throws<EngineException>(() => _engine.AddNetdev(Port(id)));
        Assert.Equal(errorId, e.ErrorId);
    }

    [Fact]
    public void ADuplicateIdIsRefusedInQemusWords()
    {
        _engine.AddNetdev(Port("n0"));
        var e = Assert.Throws<EngineException>(() => _engine.AddNetdev(Port("n0", hub: 1)));
        Assert.Equal((ErrorIds.NetdevExists, EngineErrorCategory.AlreadyExists, "Duplicate ID 'n0'"), (e.ErrorId, e.Category, e.Message));
    }

    [Fact]
    public void AHubPortPeersOnlyAnExistingFreeNetdevThatIsNoHubPort()
    {
        _engine.AddNetdev(Port("a"));
        Assert.Equal(ErrorIds.NetdevNotFound, Assert.Throws<EngineException>(() => _engine.AddNetdev(Port("b", netdev: "missing"))).ErrorId);
        Assert.Equal(ErrorIds.InvalidNetdevOptions, Assert.Throws<EngineException>(() => _engine.AddNetdev(Port("b", hub: 1, netdev: "a"))).ErrorId);
        Assert.Equal(["a"], _engine.GetNetdevs().Select(n => n.Id));
    }

    [Fact]
    public void NetdevDelAndSetLinkOfAnUnknownNameAreDeviceNotFound()
    {
        var del = Assert.Throws<EngineException>(() => _engine.RemoveNetdev("nope"));
        Assert.Equal((ErrorIds.NetdevNotFound, EngineErrorCategory.NotFound, "Device 'nope' not found"), (del.ErrorId, del.Category, del.Message));
        Assert.Equal(ErrorIds.NetdevNotFound, Assert.Throws<EngineException>(() => _engine.SetLink("nope", false)).ErrorId);
    }

    [Fact]
    public void SetLinkIsReportedByTheQuery()
    {
        _engine.AddNetdev(Port("p0", hub: 3));
        _engine.SetLink("p0", false);
        var info = _engine.GetNetdevs().Single();
        Assert.Equal((false, 3, "hubid=3"), (info.LinkUp, info.Hub, info.Options));
    }

    [Theory]
    [InlineData(null, null, null, "exactly one of fd=, listen=, connect=, mcast= or udp= is required")]
    [InlineData("127.0.0.1:1", "127.0.0.1:2", null, "exactly one of fd=, listen=, connect=, mcast= or udp= is required")]
    [InlineData("127.0.0.1:1", null, "127.0.0.1:3", "localaddr= is only valid with mcast= or udp=")]
    public void SocketOptionsThatDoNotFitTogetherAreRefused(string? listen, string? connect, string? localAddr, string message)
    {
        var e = Assert.Throws<EngineException>(() => _engine.AddNetdev(new SocketNetdevOptions { Id = "s", Listen = listen, Connect = connect, LocalAddr = localAddr }));
        Assert.Equal((ErrorIds.InvalidNetdevOptions, message), (e.ErrorId, e.Message));
    }

    [Fact]
    public void UdpWithoutLocaladdrIsRefused() =>
        Assert.Equal("localaddr= is mandatory with udp=",
            Assert.Throws<EngineException>(() => _engine.AddNetdev(new SocketNetdevOptions { Id = "s", Udp = "127.0.0.1:9" })).Message);

    [Fact]
    public void AConnectionRefusedFailsTheAddAndLeavesNoNetdev()
    {
        var e = Assert.Throws<EngineException>(() => _engine.AddNetdev(new SocketNetdevOptions { Id = "s", Connect = $"127.0.0.1:{NetTestPorts.FreeTcp()}" }));
        Assert.Equal((ErrorIds.NetdevOpenFailed, EngineErrorCategory.IoError), (e.ErrorId, e.Category));
        Assert.Empty(_engine.GetNetdevs());
    }

    [Fact]
    public void VhostUserReadsItsChardevQueuesAndSocketPath()
    {
        Assert.Equal(new VhostUserNetdevOptions { Id = "v", Chardev = "c0", Queues = 2, VhostForce = true, SocketPath = "/run/v.sock" },
            Read("""{"type":"vhost-user","id":"v","chardev":"c0","queues":2,"vhostforce":true,"x-socket-path":"/run/v.sock"}"""));
        Assert.Equal("Parameter 'chardev' is missing", Assert.Throws<EngineException>(() => Read("""{"type":"vhost-user","id":"v"}""")).Message);
    }

    [Theory]
    [InlineData(null, 1u, "ExportPS has no chardev objects (no chardev-add); give the socket path in x-socket-path")]
    [InlineData("/tmp/v.sock", 0u, "vhost-user number of queues must be in range [1, 1024]")]
    [InlineData("/tmp/v.sock", 1025u, "vhost-user number of queues must be in range [1, 1024]")]
    public void AVhostUserNetdevWithoutSocketPathOrWithQueuesOutOfRangeIsRefused(string? socketPath, uint queues, string message)
    {
        var e = Assert.Throws<EngineException>(() => _engine.AddNetdev(new VhostUserNetdevOptions { Id = "v", Chardev = "c0", Queues = queues, SocketPath = socketPath }));
        Assert.Equal(ErrorIds.InvalidNetdevOptions, e.ErrorId);
        Assert.Contains(message, e.Message);
        Assert.Empty(_engine.GetNetdevs());
    }

    [Fact]
    public void NetmapOptionsAreCheckedThenRefusedForTheMissingKernelModule()
    {
        Assert.Equal("Parameter 'ifname' is missing", Assert.Throws<EngineException>(() => Read("""{"type":"netmap","id":"n"}""")).Message);
        var e = Assert.Throws<EngineException>(() => Read("""{"type":"netmap","id":"n","ifname":"vale0:1"}"""));
        Assert.Equal(ErrorIds.NetdevTypeNotSupported, e.ErrorId);
        Assert.Contains("netmap kernel module", e.Message);
    }

    [Fact]
    public void TheReaderTakesTheTypesBranchFlatBesideTypeAndId()
    {
        var stream = Assert.IsType<StreamNetdevOptions>(Read("""{"type":"stream","id":"s","server":true,"addr":{"type":"unix","path":"/tmp/x.sock"}}"""));
        Assert.Equal((true, SocketAddressKind.Unix, "/tmp/x.sock"), (stream.Server, stream.Address.Kind, stream.Address.Path));
        var hub = Assert.IsType<HubportNetdevOptions>(Read("""{"type":"hubport","id":"p","hubid":2,"netdev":"s"}"""));
        Assert.Equal((2, "s"), (hub.HubId, hub.Netdev));
        Assert.Equal("Parameter 'bogus' is unexpected", Assert.Throws<EngineException>(() => Read("""{"type":"hubport","id":"p","hubid":2,"bogus":1}""")).Message);
    }

    internal static NetdevOptions Read(string json) =>
        NetdevOptionsReader.Read(new OptionReader(OptionTree.FromJson(System.Text.Json.JsonDocument.Parse(json).RootElement)));
}
