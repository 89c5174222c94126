using System.Net;
using System.Net.Sockets;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

/// <summary>
/// vde netdevs of a real engine on Debian's vde_switch (one per test, in the test's directory): each vde netdev is on a
/// hub with a dgram netdev whose far end is the test, so the test's datagrams cross the switch as frames. The far side
/// is another ExportPS vde netdev, or QEMU 7.2's own vde netdev (qemu-system-x86_64 -machine none relays between it and
/// a socket udp= netdev on a hub, which the test drives). Loopback addresses and unix sockets only.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class NetdevVdeTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly NetdevTestEngine _test = new();
    private ExportEngine Engine => _test.Engine;

    public void Dispose() => _test.Dispose();

    [Fact]
    public void TwoVdeNetdevsOnOneSwitchCarryFramesBothWays()
    {
        using var vdeSwitch = new TestVdeSwitch(_test.Path);
        var added = Engine.AddNetdev(new VdeNetdevOptions { Id = "v1", Sock = vdeSwitch.Directory, Mode = 0x180 });
        Assert.Equal(("vde", $"sock={vdeSwitch.Directory},mode=0600"), (added.Type, added.Options));
        Engine.AddNetdev(new VdeNetdevOptions { Id = "v2", Sock = vdeSwitch.Directory, Port = 5 });
        using var far1 = FarEnd("v1", hubId: 1, out var to1);
        using var far2 = FarEnd("v2", hubId: 2, out var to2);

        for (byte seed = 1; seed < 5; seed++)
        {
            Assert.Equal(Frame(1514, seed), QemuNetdevRelay.SendAndReceive(far1, to1, Frame(1514, seed), far2));
            Assert.Equal(Frame(60, seed), QemuNetdevRelay.SendAndReceive(far2, to2, Frame(60, seed), far1));
        }

        var v1 = _test.Info("v1");
        Assert.Equal((4L, 4L, 0L, 0L, true), (v1.ReceivedFrames, v1.SentFrames, v1.ReceivedDropped, v1.SentDropped, v1.Connected));

        // The link down, frames to the switch are dropped and counted; up again, they pass.
        Engine.SetLink("v1", false);
        far1.SendTo(Frame(60, 9), to1);
        _test.WaitUntil(info => info.ReceivedDroppedLinkDown == 1, "v1", "the frame was dropped at the downed link");
        Engine.SetLink("v1", true);
        Assert.Equal(Frame(60, 10), QemuNetdevRelay.SendAndReceive(far1, to1, Frame(60, 10), far2));
    }

    [Fact]
    public void AVdeNetdevCarriesFramesToQemusVdeNetdevBothWays()
    {
        using var vdeSwitch = new TestVdeSwitch(_test.Path);
        Engine.AddNetdev(new VdeNetdevOptions { Id = "v", Sock = vdeSwitch.Directory });
        using var ourFar = FarEnd("v", hubId: 0, out var toUs);
        using var qemu = new QemuNetdevRelay($"vde,id=q,sock={vdeSwitch.Directory}");
        qemu.ExchangeFrames(ourFar, toUs, Frame, Timeout);

        _test.WaitUntil(info => info.ReceivedFrames == 4, "v", "the frames to QEMU were counted");
        Assert.True(_test.Info("v").SentFrames >= 5, $"the frames from QEMU were counted: {_test.Info("v")}");
    }

    [Fact]
    public void ASwitchThatStopsLeavesTheNetdevNotConnectedAndItsRemovalClean()
    {
        var vdeSwitch = new TestVdeSwitch(_test.Path);
        Engine.AddNetdev(new VdeNetdevOptions { Id = "v", Sock = vdeSwitch.Directory });
        Assert.True(_test.Info("v").Connected);
        vdeSwitch.Dispose();
        _test.WaitUntil(info => !info.Connected, "v", "the netdev saw the switch go");
        Engine.RemoveNetdev("v");
        Assert.Empty(Engine.GetNetdevs());
    }

    [Fact]
    public void ThePortsSocketHasTheModeAskedForAndGoesWithTheNetdev()
    {
        using var vdeSwitch = new TestVdeSwitch(_test.Path);
        Engine.AddNetdev(new VdeNetdevOptions { Id = "v", Sock = vdeSwitch.Directory, Mode = 0x1A0 }); // 0640
        string[] PortSockets() => Directory.GetFiles(vdeSwitch.Directory).Where(path => System.IO.Path.GetFileName(path) != "ctl").ToArray();
        var socket = Assert.Single(PortSockets());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(socket));
        Engine.RemoveNetdev("v");
        Assert.True(SpinWait.SpinUntil(() => PortSockets().Length == 0, Timeout), "the switch removed the port's socket once the netdev closed it");
    }

    [Theory]
    [InlineData("missing switch", """{"sock":"DIR/none"}""", ErrorIds.NetdevOpenFailed, "Could not open vde: No such file or directory")]
    [InlineData("port past the switch's", """{"sock":"SWITCH","port":9}""", ErrorIds.NetdevOpenFailed, "Could not open vde: the switch did not answer within 5 s (is port 9 one of its ports?)")]
    [InlineData("port over uint16", """{"sock":"SWITCH","port":65536}""", ErrorIds.InvalidArgument, "Parameter 'port' expects uint16_t")]
    [InlineData("negative mode", """{"sock":"SWITCH","mode":-1}""", ErrorIds.InvalidArgument, "Parameter 'mode' expects uint16_t")]
    [InlineData("sock not a string", """{"sock":5}""", ErrorIds.InvalidArgument, "Invalid parameter type for 'sock', expected: string")]
    [InlineData("unknown member", """{"sock":"SWITCH","bogus":1}""", ErrorIds.InvalidArgument, "Parameter 'bogus' is unexpected")]
    public void BadOptionsAreRefusedWithQemusError(string why, string extra, string errorId, string message)
    {
        using var vdeSwitch = new TestVdeSwitch(_test.Path, ports: 4);
        string json = $$"""{"type":"vde","id":"v",{{extra[1..]}}""".Replace("SWITCH", vdeSwitch.Directory).Replace("DIR", _test.Path);
        var e = Assert.Throws<EngineException>(() => Engine.AddNetdev(NetdevServiceTests.Read(json)));
        Assert.True((errorId, true) == (e.ErrorId, e.Message.Contains(message)), $"{why}: {e.ErrorId}: {e.Message}");
        Assert.Empty(Engine.GetNetdevs());
    }

    /// <summary>A dgram netdev on hub <paramref name="hubId"/> with <paramref name="vde"/>; returns the test's end of it.</summary>
    private Socket FarEnd(string vde, int hubId, out IPEndPoint toEngine)
    {
        var far = NetTestPorts.BoundUdp();
        int port = NetTestPorts.FreeUdp();
        Engine.AddNetdev(new DgramNetdevOptions
        {
            Id = "d" + vde,
            Local = SocketAddressOptions.Inet("127.0.0.1", port),
            Remote = SocketAddressOptions.Inet("127.0.0.1", ((IPEndPoint)far.LocalEndPoint!).Port),
        });
        _test.AddHubPort("p" + vde, vde, hubId);
        _test.AddHubPort("pd" + vde, "d" + vde, hubId);
        toEngine = new IPEndPoint(IPAddress.Loopback, port);
        return far;
    }

    /// <summary>A frame from a unicast source, so the switch passes it like any other.</summary>
    private static byte[] Frame(int length, byte seed)
    {
        var frame = TestFrames.Make(length, seed);
        frame[6] = 0x52;
        return frame;
    }
}
