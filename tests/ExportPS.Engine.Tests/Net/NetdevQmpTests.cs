using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qmp;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

/// <summary>netdev_add, netdev_del, set_link and x-query-netdevs through an ExportPS QMP server, driven by QmpExportEngine.</summary>
public sealed class NetdevQmpTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ExportEngine _engine = new();
    private readonly QmpServer _server;
    private readonly QmpExportEngine _client;

    public NetdevQmpTests()
    {
        _server = QmpServer.Start(_engine, _dir.File("qmp.sock"));
        _client = QmpExportEngine.Connect(_server.SocketPath, TimeSpan.FromSeconds(10));
    }

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
        _engine.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void EveryNetdevCallOverQmpGivesWhatTheEngineGives()
    {
        var stream = new StreamNetdevOptions { Id = "s0", Server = true, Address = SocketAddressOptions.Unix(_dir.File("s0.sock")) };
        var added = _client.AddNetdev(stream);
        Assert.Equal(_engine.GetNetdevs().Single(), added);
        _client.AddNetdev(new HubportNetdevOptions { Id = "p0", HubId = 4, Netdev = "s0" });
        _client.AddNetdev(new DgramNetdevOptions { Id = "d0", Local = SocketAddressOptions.Inet("127.0.0.1", NetTestPorts.FreeUdp()), Remote = SocketAddressOptions.Inet("127.0.0.1", 9) });

        _client.SetLink("p0", false);

        Assert.Equal(_engine.GetNetdevs(), _client.GetNetdevs());
        var port = _client.GetNetdevs().Single(n => n.Id == "p0");
        Assert.Equal((4, "s0", false), (port.Hub, port.Peer, port.LinkUp));

        _client.AddNetdev(stream with { Id = "s1", Peer = "d0", Address = SocketAddressOptions.Unix(_dir.File("s1.sock")) });
        Assert.Equal("s1", _client.GetNetdevs().Single(n => n.Id == "d0").Peer);

        _client.RemoveNetdev("d0");
        Assert.Equal(["s0", "p0", "s1"], _engine.GetNetdevs().Select(n => n.Id));
        Assert.Null(_client.GetNetdevs().Single(n => n.Id == "s1").Peer);
    }

    [Fact]
    public void AVhostUserNetdevGoesOverQmpWithItsSocketPathInPlaceOfAChardevObject()
    {
        var vhostUser = new VhostUserNetdevOptions { Id = "v0", Chardev = "c0", Queues = 2, SocketPath = _dir.File("v0.sock") };
        var added = _client.AddNetdev(vhostUser);
        Assert.Equal(_engine.GetNetdevs().Single(), added);
        Assert.Equal(("vhost-user", false), (added.Type, added.Connected));
        Assert.True(File.Exists(_dir.File("v0.sock")));

        var e = Assert.Throws<EngineException>(() => _client.AddNetdev(vhostUser with { Id = "v1", SocketPath = null }));
        Assert.Equal(ErrorIds.InvalidNetdevOptions, e.ErrorId);
        Assert.Contains("x-socket-path", e.Message);
    }

    [Fact]
    public void VdeAndBridgeNetdevsGoOverQmpWithTheirOptions()
    {
        using var vdeSwitch = new TestVdeSwitch(_dir.Path);
        var vde = new VdeNetdevOptions { Id = "v0", Sock = vdeSwitch.Directory, Port = 2, Group = "root", Mode = 0x1F8 };
        var added = _client.AddNetdev(vde);
        Assert.Equal(_engine.GetNetdevs().Single(), added);
        Assert.Equal(("vde", $"sock={vdeSwitch.Directory},port=2,group=root,mode=0770"), (added.Type, added.Options));
        _client.RemoveNetdev("v0");

        var e = Assert.Throws<EngineException>(() => _client.AddNetdev(new BridgeNetdevOptions { Id = "b0", Br = "x", Helper = "/bin/false" }));
        Assert.Equal(ErrorIds.NetdevOpenFailed, e.ErrorId);
        Assert.Contains("bridge helper /bin/false failed", e.Message);
        Assert.Empty(_client.GetNetdevs());
    }

    [Fact]
    public async Task AConnectToAHostThatDoesNotAnswerHoldsUpNoOtherClientAndTheNetdevIsAddedWhileItConnects()
    {
        using var far = new BlackHoleListener();
        using var other = QmpExportEngine.Connect(_server.SocketPath, TimeSpan.FromSeconds(10));
        var adding = Task.Run(() => _client.AddNetdev(new SocketNetdevOptions { Id = "c", Connect = $"127.0.0.1:{far.Port}" }));
        await Task.Delay(300);

        // While the add waits for its connection (up to a second), the other client's calls are answered at once; "c"
        // is taken meanwhile (a second add of it is refused before it touches a socket).
        static TimeSpan Timed(Action call)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            call();
            return clock.Elapsed;
        }

        var calls = new[]
        {
            Timed(() => other.AddNetdev(new HubportNetdevOptions { Id = "p0", HubId = 0 })),
            Timed(() => Assert.Equal(ErrorIds.NetdevExists,
                Assert.Throws<EngineException>(() => other.AddNetdev(new SocketNetdevOptions { Id = "c", Connect = "127.0.0.1:1" })).ErrorId)),
            Timed(() => Assert.Contains("p0", other.GetNetdevs().Select(n => n.Id))),
        };
        Assert.All(calls, took => Assert.True(took < TimeSpan.FromMilliseconds(500), $"a call took {took} while the add connected"));

        // As QEMU 7.2's connect=: a connection still in progress does not fail the add; it completes (or not) later.
        var added = await adding.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(("c", false), (added.Id, added.Connected));
        far.Answer();
        Assert.True(SpinWait.SpinUntil(() => other.GetNetdevs().Single(n => n.Id == "c").Connected, TimeSpan.FromSeconds(15)),
            "the connection completes once the far end answers");
        _client.RemoveNetdev("c");
        Assert.Equal(["p0"], other.GetNetdevs().Select(n => n.Id));
    }

    [Fact]
    public void ErrorsComeBackWithTheEnginesIds()
    {
        Assert.Equal(ErrorIds.NetdevNotFound, Assert.Throws<EngineException>(() => _client.SetLink("nope", true)).ErrorId);
        Assert.Equal(ErrorIds.NetdevNotFound, Assert.Throws<EngineException>(() => _client.RemoveNetdev("nope")).ErrorId);
        _client.AddNetdev(new HubportNetdevOptions { Id = "p0", HubId = 0 });
        Assert.Equal(ErrorIds.NetdevExists, Assert.Throws<EngineException>(() => _client.AddNetdev(new HubportNetdevOptions { Id = "p0", HubId = 1 })).ErrorId);
    }
}
