using System.Net;
using System.Net.Sockets;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Net.Backends;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

/// <summary>
/// tap netdevs of a real engine (the tests run as root), each interface in a private network namespace the test makes:
/// the tap is joined through a hub to a dgram netdev whose far end is the test, which sends an ARP request for the
/// namespace's address and waits for the kernel's reply, so frames cross the tap both ways.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class NetdevTapTests : IDisposable
{
    private static readonly byte[] TestMac = [0x52, 0x54, 0x00, 0x65, 0x70, 0x73];
    private readonly NetdevTestEngine _test = new();
    private readonly TestNetworkNamespace _namespace = new();
    private ExportEngine Engine => _test.Engine;

    public void Dispose()
    {
        _test.Dispose();
        _namespace.Dispose();
    }

    public enum TapSource
    {
        NewInterfaceMovedInByItsScript,
        NewInterfaceWithAVirtioNetHeader,
        NewMultiqueueInterface,
        AdoptedDescriptor,
        DebiansBridgeHelper,
        BridgeNetdevToAVethOnTheBridge,
    }

    [Theory]
    [InlineData(TapSource.NewInterfaceMovedInByItsScript)]
    [InlineData(TapSource.NewInterfaceWithAVirtioNetHeader)]
    [InlineData(TapSource.NewMultiqueueInterface)]
    [InlineData(TapSource.AdoptedDescriptor)]
    [InlineData(TapSource.DebiansBridgeHelper)]
    [InlineData(TapSource.BridgeNetdevToAVethOnTheBridge)]
    public void TheKernelBehindTheTapAnswersAnArpRequestThroughTheHub(TapSource source)
    {
        string name = TestNetworkNamespace.UniqueInterfaceName();
        string downLog = _test.File("down.log");
        var options = Tap(source, name, downLog);
        var added = Engine.AddNetdev(options);
        Assert.Equal((options.Type, options.Summary()), (added.Type, added.Options));
        string addressed = Configure(source, name);

        using var far = NetTestPorts.BoundUdp();
        int port = NetTestPorts.FreeUdp();
        Engine.AddNetdev(new DgramNetdevOptions
        {
            Id = "d",
            Local = SocketAddressOptions.Inet("127.0.0.1", port),
            Remote = SocketAddressOptions.Inet("127.0.0.1", ((IPEndPoint)far.LocalEndPoint!).Port),
        });
        _test.AddHubPort("pt", "t");
        _test.AddHubPort("pd", "d");

        var target = IPAddress.Parse($"{_namespace.Subnet}.1");
        var request = TestArp.WhoHas(target, IPAddress.Parse($"{_namespace.Subnet}.9"), TestMac);
        Assert.True(AnswersArp(far, new IPEndPoint(IPAddress.Loopback, port), request, target),
            $"no ARP reply from {addressed} in {_namespace.Name}: {_test.Info("t")}");
        // The delivering thread counts the request after handing it to the tap's queue, so the reply can come back first.
        _test.WaitUntil(info => info.ReceivedFrames >= 1 && info.SentFrames >= 1, "t", "the tap counted the request and the reply");
        var info = _test.Info("t");
        Assert.Equal((0L, 0L), (info.ReceivedDropped, info.SentDroppedMalformed));

        Engine.RemoveNetdev("t");
        if (source == TapSource.NewInterfaceMovedInByItsScript)
            Assert.Equal(name, File.ReadAllText(downLog).Trim());
    }

    /// <summary>
    /// The options of each source; a new interface's script moves it into the namespace, as a real script would set it
    /// up. A bridge netdev's tap joins bridge <paramref name="name"/>, which holds one end of a veth pair whose other end
    /// (<paramref name="name"/>v) has the address, so the ARP exchange crosses the bridge.
    /// </summary>
    private NetdevOptions Tap(TapSource source, string name, string downLog)
    {
        var tap = new TapNetdevOptions { Id = "t" };
        switch (source)
        {
            case TapSource.NewInterfaceMovedInByItsScript:
                return tap with
                {
                    IfName = name,
                    Script = Script("up.sh", $"exec {TestNetworkNamespace.IpCommand} link set \"$1\" netns {_namespace.Name}"),
                    DownScript = Script("down.sh", $"echo \"$1\" > {downLog}"),
                };
            case TapSource.NewInterfaceWithAVirtioNetHeader:
                return tap with { IfName = name, VnetHdr = true };
            case TapSource.NewMultiqueueInterface:
                return tap with { IfName = name, Queues = 2, SndBuf = 1 << 20 };
            case TapSource.AdoptedDescriptor:
                var device = TapDevice.Create(name, vnetHeader: true, multiQueue: false);
                int fd = (int)device.Handle.DangerousGetHandle();
                device.Handle.SetHandleAsInvalid(); // the netdev owns it from now on
                return tap with { Fd = fd.ToString() };
            case TapSource.DebiansBridgeHelper:
                return tap with { Helper = BridgeHelperInNamespace(name), Br = name };
            default:
                string helper = BridgeHelperInNamespace(name);
                TestNetworkNamespace.Ip("-n", _namespace.Name, "link", "add", name + "b", "type", "veth", "peer", "name", name + "v");
                TestNetworkNamespace.Ip("-n", _namespace.Name, "link", "set", name + "b", "master", name, "up");
                TestNetworkNamespace.Ip("-n", _namespace.Name, "link", "set", name, "up");
                return new BridgeNetdevOptions { Id = "t", Helper = helper, Br = name };
        }
    }

    /// <summary>
    /// Makes bridge <paramref name="name"/> in the namespace; returns Debian's helper run inside the namespace, where
    /// /etc/qemu/bridge.conf (from /etc/netns) allows the bridge.
    /// </summary>
    private string BridgeHelperInNamespace(string name)
    {
        TestNetworkNamespace.Ip("-n", _namespace.Name, "link", "add", name, "type", "bridge");
        Directory.CreateDirectory("/etc/qemu"); // the mount point `ip netns exec` binds the namespace's file over
        Directory.CreateDirectory(Path.Combine(_namespace.EtcDirectory, "qemu"));
        File.WriteAllText(Path.Combine(_namespace.EtcDirectory, "qemu", "bridge.conf"), $"allow {name}\n");
        return $"{TestNetworkNamespace.IpCommand} netns exec {_namespace.Name} {TapNetdevOptions.DefaultHelper}";
    }

    /// <summary>Puts the namespace's address on the interface that reaches the tap; returns that interface.</summary>
    private string Configure(TapSource source, string name)
    {
        if (source == TapSource.BridgeNetdevToAVethOnTheBridge)
            name += "v";
        else if (source is not (TapSource.NewInterfaceMovedInByItsScript or TapSource.DebiansBridgeHelper))
            _namespace.MoveIn(name);
        _namespace.AddressUp(name);
        return name;
    }

    private string Script(string fileName, string body)
    {
        string path = _test.File(fileName);
        File.WriteAllText(path, $"#!/bin/sh\n{body}\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); // exec'd, not run by a shell
        return path;
    }

    /// <summary>Sends the request until an ARP reply comes back (other frames, such as IPv6 neighbour discovery, pass by).</summary>
    private static bool AnswersArp(Socket far, EndPoint engine, byte[] request, IPAddress target)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        var buffer = new byte[70_000];
        far.ReceiveTimeout = 300;
        while (DateTime.UtcNow < deadline)
        {
            far.SendTo(request, engine);
            try
            {
                while (true)
                {
                    int received = far.Receive(buffer);
                    if (TestArp.IsReply(buffer.AsSpan(0, received), target, TestMac))
                        return true;
                }
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
                // Not yet (the interface may still be coming up): ask again.
            }
        }

        return false;
    }

    [Theory]
    [InlineData("""{"vhost":true}""", ErrorIds.NetdevTypeNotSupported, "vhost=on is not supported")]
    [InlineData("""{"vhostforce":true}""", ErrorIds.NetdevTypeNotSupported, "vhostforce=on is not supported")]
    [InlineData("""{"vhostfd":"5"}""", ErrorIds.NetdevTypeNotSupported, "vhostfd= and vhostfds= are not supported")]
    [InlineData("""{"poll-us":50}""", ErrorIds.NetdevTypeNotSupported, "poll-us= is not supported")]
    [InlineData("""{"fd":"5","ifname":"x"}""", ErrorIds.InvalidNetdevOptions, "are invalid with fd=")]
    [InlineData("""{"fds":"5:6","queues":2}""", ErrorIds.InvalidNetdevOptions, "are invalid with fds=")]
    [InlineData("""{"helper":"/bin/true","vnet_hdr":true}""", ErrorIds.InvalidNetdevOptions, "are invalid with helper=")]
    [InlineData("""{"br":"br0"}""", ErrorIds.InvalidNetdevOptions, "br= is only valid with helper=")]
    [InlineData("""{"queues":0}""", ErrorIds.InvalidNetdevOptions, "queues= must be from 1 to 256")]
    [InlineData("""{"fd":"x"}""", ErrorIds.NetdevOpenFailed, "fd= expects the number of an open descriptor, not 'x'")]
    [InlineData("""{"helper":"/bin/false"}""", ErrorIds.NetdevOpenFailed, "bridge helper /bin/false failed with status 1")]
    public void BadOptionsAreRefusedWithAClearError(string extra, string errorId, string message)
    {
        var options = NetdevServiceTests.Read($$"""{"type":"tap","id":"t",{{extra[1..]}}""");
        var e = Assert.Throws<EngineException>(() => Engine.AddNetdev(options));
        Assert.Equal(errorId, e.ErrorId);
        Assert.Contains(message, e.Message);
        Assert.Empty(Engine.GetNetdevs());
    }

    [Fact]
    public void ABridgeNetdevRunsQemusDefaultHelperAndReportsItsFailure()
    {
        var e = Assert.Throws<EngineException>(() => Engine.AddNetdev(NetdevServiceTests.Read("""{"type":"bridge","id":"b"}""")));
        Assert.Equal(ErrorIds.NetdevOpenFailed, e.ErrorId);
        Assert.StartsWith($"netdev 'b' (bridge): bridge helper {TapNetdevOptions.DefaultHelper} ", e.Message);
        e = Assert.Throws<EngineException>(() => Engine.AddNetdev(NetdevServiceTests.Read("""{"type":"bridge","id":"b","br":"x","helper":"/bin/false"}""")));
        Assert.Contains("bridge helper /bin/false failed with status 1", e.Message);
        Assert.Empty(Engine.GetNetdevs());
    }

    [Fact]
    public void HarmlessVhostOptionsThatAskForNothingAreAccepted()
    {
        string name = TestNetworkNamespace.UniqueInterfaceName();
        Engine.AddNetdev(NetdevServiceTests.Read($$"""{"type":"tap","id":"t","ifname":"{{name}}","vhost":false,"vhostforce":false,"poll-us":0,"script":"no","downscript":"no"}"""));
        _namespace.MoveIn(name);
        Assert.Equal("tap", _test.Info("t").Type);
    }

    [Fact]
    public void AFailingScriptFailsTheAddAndLeavesNoInterface()
    {
        string name = TestNetworkNamespace.UniqueInterfaceName();
        var e = Assert.Throws<EngineException>(() => Engine.AddNetdev(new TapNetdevOptions { Id = "t", IfName = name, Script = Script("fail.sh", "exit 3") }));
        Assert.Equal(ErrorIds.NetdevOpenFailed, e.ErrorId);
        Assert.Contains("failed with status 3", e.Message);
        Assert.NotEqual(0, PeerProcess.Run(TestNetworkNamespace.IpCommand, ["link", "show", name]).ExitCode);
        Assert.Empty(Engine.GetNetdevs());
    }

    [Fact]
    public void ADescriptorThatIsNotATapIsRefused()
    {
        using var file = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);
        int fd = (int)file.DangerousGetHandle();
        file.SetHandleAsInvalid(); // the failed add closes it
        var e = Assert.Throws<EngineException>(() => Engine.AddNetdev(new TapNetdevOptions { Id = "t", Fd = fd.ToString() }));
        Assert.Equal(ErrorIds.NetdevOpenFailed, e.ErrorId);
        Assert.Contains("is not a tap device", e.Message);
    }
}
