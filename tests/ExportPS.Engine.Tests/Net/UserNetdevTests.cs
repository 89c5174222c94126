using System.Net;
using System.Net.Sockets;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qmp;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

/// <summary>User netdevs in the engine without a guest: forwards libslirp sets up or refuses, smb=, the codec, QMP.</summary>
public sealed class UserNetdevTests : IDisposable
{
    private readonly ExportEngine _engine = new();
    private readonly TempDirectory _directory = new();

    public void Dispose()
    {
        _engine.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public void AHostForwardListensOnItsLoopbackPortUntilTheNetdevIsRemoved()
    {
        int port = NetTestPorts.FreeTcp();
        var info = _engine.AddNetdev(new UserNetdevOptions { Id = "u", HostFwd = [$"tcp:127.0.0.1:{port}-:22"] });
        Assert.Equal(("user", $"hostfwd=tcp:127.0.0.1:{port}-:22", true), (info.Type, info.Options, info.Connected));
        using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            client.Connect(IPAddress.Loopback, port);
        _engine.RemoveNetdev("u");
        using var refused = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Assert.Equal(SocketError.ConnectionRefused, Assert.Throws<SocketException>(() => refused.Connect(IPAddress.Loopback, port)).SocketErrorCode);
    }

    [Fact]
    public void AHostForwardOnAPortInUseFailsTheAddWithQemusText()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        string rule = $"tcp:127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}-:22";
        var e = Assert.Throws<EngineException>(() => _engine.AddNetdev(new UserNetdevOptions { Id = "u", HostFwd = [rule] }));
        Assert.Equal(ErrorIds.NetdevOpenFailed, e.ErrorId);
        Assert.EndsWith($"Could not set up host forwarding rule '{rule}'", e.Message);
        Assert.Empty(_engine.GetNetdevs());
    }

    [Fact]
    public void AUnixHostForwardListensOnItsPathAndRefusesAFileThatIsNoSocket()
    {
        string path = _directory.File("fwd.sock");
        _engine.AddNetdev(new UserNetdevOptions { Id = "u", HostFwd = [$"unix:{path}-:22"] });
        using (var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
            client.Connect(new UnixDomainSocketEndPoint(path));

        string file = _directory.File("not-a-socket");
        File.WriteAllText(file, "keep me");
        var e = Assert.Throws<EngineException>(() => _engine.AddNetdev(new UserNetdevOptions { Id = "v", HostFwd = [$"unix:{file}-:22"] }));
        Assert.Equal(ErrorIds.NetdevOpenFailed, e.ErrorId);
        Assert.Equal("keep me", File.ReadAllText(file));
    }

    [Fact]
    public void GuestForwardsToACommandAndAUnixSocketAreTakenAndOneOnTheGatewaysAddressIsRefused()
    {
        _engine.AddNetdev(new UserNetdevOptions
        {
            Id = "u", GuestFwd = ["tcp:10.0.2.100:1234-cmd:cat", $"tcp:10.0.2.100:80-unix:{_directory.File("web.sock")}"],
        });
        string rule = "tcp:10.0.2.2:1234-cmd:cat";
        var e = Assert.Throws<EngineException>(() => _engine.AddNetdev(new UserNetdevOptions { Id = "v", GuestFwd = [rule] }));
        Assert.EndsWith($"Conflicting/invalid host:port in guest forwarding rule '{rule}'", e.Message);
    }

    [Fact]
    public void SmbIsRefusedAsNotSupportedAndBadAddressesAsInvalidOptions()
    {
        var smb = Assert.Throws<EngineException>(() => _engine.AddNetdev(new UserNetdevOptions { Id = "u", Smb = "/srv" }));
        Assert.Equal((ErrorIds.NetdevTypeNotSupported, EngineErrorCategory.NotSupported), (smb.ErrorId, smb.Category));
        Assert.Contains("smbd", smb.Message);
        var bad = Assert.Throws<EngineException>(() => _engine.AddNetdev(new UserNetdevOptions { Id = "u", DhcpStart = "10.0.2.2" }));
        Assert.Equal((ErrorIds.InvalidNetdevOptions, "DHCP must be different from host and DNS"), (bad.ErrorId, bad.Message));
    }

    public static TheoryData<NetdevOptions> Options() =>
    [
        new UserNetdevOptions
        {
            Id = "u", Hostname = "guest", Restrict = true, Ipv4 = true, Ipv6 = false, Net = "10.0.3.0/24", Host = "10.0.3.2",
            Tftp = "/srv/tftp", Bootfile = "pxelinux.0", DhcpStart = "10.0.3.20", Dns = "10.0.3.3", DnsSearch = ["a.test", "b.test"],
            DomainName = "exportps.test", SmbServer = "10.0.3.4", HostFwd = ["tcp::5555-:22", "udp::5556-:53"],
            GuestFwd = ["tcp:10.0.3.100:1234-cmd:cat"], TftpServerName = "tftp.test",
        },
        new UserNetdevOptions { Id = "v", Ip = "10.0.4.0", Ipv6Prefix = "fd00::", Ipv6PrefixLen = 48, Ipv6Host = "fd00::2", Ipv6Dns = "fd00::3", Smb = "/srv" },
    ];

    [Theory]
    [MemberData(nameof(Options))]
    public void WrittenArgumentsReadBackToTheSameOptions(NetdevOptions options) => NetdevArguments.AssertReadBack(options);

    [Fact]
    public void AUserNetdevAddedOverQmpIsTheEnginesNetdev()
    {
        using var server = QmpServer.Start(_engine, _directory.File("qmp.sock"));
        using var client = QmpExportEngine.Connect(server.SocketPath, TimeSpan.FromSeconds(10));
        var options = new UserNetdevOptions { Id = "u", Net = "10.0.5.0/24", DnsSearch = ["example.test"], Restrict = true };
        var added = client.AddNetdev(options);
        Assert.Equal(_engine.GetNetdevs().Single(), added);
        Assert.Equal("restrict=on,net=10.0.5.0/24,dnssearch=example.test", added.Options);
        client.RemoveNetdev("u");
        Assert.Empty(_engine.GetNetdevs());
    }
}
