using System.Net;
using System.Net.Sockets;
using ExportPS.Engine.Model;
using ExportPS.Engine.Tests.Net;
using Microsoft.Extensions.Logging;
using Xunit;

namespace ExportPS.Engine.Tests.Logging;

/// <summary>
/// What wire netdevs log about their far end through the engine's logger factory: a stream peer connecting, leaving,
/// being reset and breaking the framing (unix and TCP, far ends written in the test), a VDE switch going away and a
/// tap's interface deleted (in a private network namespace).
/// </summary>
public sealed class NetdevLogTests : IDisposable
{
    private const string Category = "ExportPS.Net";

    private readonly CapturingLoggerFactory _log = new();
    private readonly NetdevTestEngine _test;

    public NetdevLogTests() => _test = new NetdevTestEngine(_log);

    private ExportEngine Engine => _test.Engine;

    public void Dispose() => _test.Dispose();

    /// <summary>Waits until <paramref name="count"/> netdev events were logged; returns them as a test compares them.</summary>
    private (string?, LogLevel, int, string)[] WaitForEvents(int count) => [.. _log.WaitForEvents(Category, count).Select(e => e.Shown)];

    [Fact]
    public void A_stream_server_logs_each_peer_and_why_it_left_a_broken_framing_as_a_warning()
    {
        string socket = _test.File("s0.sock");
        Engine.AddNetdev(new StreamNetdevOptions { Id = "s0", Server = true, Address = SocketAddressOptions.Unix(socket) });
        using (var broken = StreamTestPeer.ConnectUnix(socket))
        {
            broken.SendRaw(StreamTestPeer.Prefix(0));
            Assert.True(broken.WaitForClose());
        }

        using (var polite = StreamTestPeer.ConnectUnix(socket))
        {
            _test.WaitUntil(n => n.Connected, "s0", "s0 took the second peer");
        }

        Assert.Equal(
            [
                ("netdev_added", LogLevel.Information, 4000, "Netdev 's0' added (stream)"),
                ("netdev_stream_connected", LogLevel.Information, 4003, "Netdev 's0' connected to unix socket"),
                ("netdev_stream_framing_lost", LogLevel.Warning, 4005, "Netdev 's0' dropped unix socket: a length prefix of 0 lost the framing"),
                ("netdev_stream_connected", LogLevel.Information, 4003, "Netdev 's0' connected to unix socket"),
                ("netdev_stream_disconnected", LogLevel.Information, 4004, "Netdev 's0' disconnected from unix socket: the peer closed the connection"),
            ],
            WaitForEvents(5));
    }

    [Fact]
    public void A_stream_client_logs_its_server_and_the_reset_that_ended_the_connection()
    {
        using var farListener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        farListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        farListener.Listen(1);
        int farPort = ((IPEndPoint)farListener.LocalEndPoint!).Port;
        Engine.AddNetdev(new SocketNetdevOptions { Id = "c", Connect = $"127.0.0.1:{farPort}" });
        using (var far = farListener.Accept())
        {
            far.LingerState = new LingerOption(true, 0); // closed with a reset
        }

        Assert.Equal(
            [
                ("netdev_added", LogLevel.Information, 4000, "Netdev 'c' added (socket)"),
                ("netdev_stream_connected", LogLevel.Information, 4003, $"Netdev 'c' connected to 127.0.0.1:{farPort}"),
                ("netdev_stream_disconnected", LogLevel.Information, 4004, $"Netdev 'c' disconnected from 127.0.0.1:{farPort}: Connection reset by peer"),
            ],
            WaitForEvents(3));
    }

    [Fact]
    public void A_netdev_removed_while_its_peer_is_connected_logs_the_removal_not_a_disconnect()
    {
        string socket = _test.File("s0.sock");
        Engine.AddNetdev(new StreamNetdevOptions { Id = "s0", Server = true, Address = SocketAddressOptions.Unix(socket) });
        using var peer = StreamTestPeer.ConnectUnix(socket);
        _test.WaitUntil(n => n.Connected, "s0", "s0 has its peer");

        Engine.RemoveNetdev("s0");
        Assert.True(peer.WaitForClose());

        Assert.Equal(["netdev_added", "netdev_stream_connected", "netdev_removed"], WaitForEvents(3).Select(e => e.Item1));
    }

    [Fact]
    public void A_tap_whose_interface_is_deleted_is_logged_as_a_warning()
    {
        using var netns = new TestNetworkNamespace();
        string name = TestNetworkNamespace.UniqueInterfaceName();
        Engine.AddNetdev(new TapNetdevOptions { Id = "t", IfName = name });
        netns.MoveIn(name);
        TestNetworkNamespace.Ip("-n", netns.Name, "link", "del", name);

        var gone = WaitForEvents(2)[1];
        Assert.Equal(("netdev_tap_interface_gone", LogLevel.Warning, 4007), (gone.Item1, gone.Item2, gone.Item3));
        Assert.StartsWith($"Netdev 't' lost its interface {name}: ", gone.Item4);
        _test.WaitUntil(n => !n.Connected, "t", "the tap shows as not connected");
    }

    [Fact]
    public void A_vde_switch_that_stops_is_logged_as_a_warning()
    {
        var vdeSwitch = new TestVdeSwitch(_test.Path);
        Engine.AddNetdev(new VdeNetdevOptions { Id = "v", Sock = vdeSwitch.Directory });
        vdeSwitch.Dispose();

        Assert.Equal(
            [
                ("netdev_added", LogLevel.Information, 4000, "Netdev 'v' added (vde)"),
                ("netdev_vde_switch_gone", LogLevel.Warning, 4006, "Netdev 'v' lost its VDE switch: the switch closed the port"),
            ],
            WaitForEvents(2));
    }
}
