using System.Net;
using System.Net.Sockets;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

/// <summary>
/// l2tpv3 netdevs of a real engine: against QEMU 7.2's own l2tpv3 netdev (qemu-system-x86_64 -machine none relays
/// between its l2tpv3 netdev and a socket udp= netdev on a hub; the test drives that socket and an ExportPS dgram netdev
/// on the other side of the tunnel), and against packets the test writes. Loopback addresses only.
/// </summary>
public sealed class NetdevL2tpv3Tests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly NetdevTestEngine _test = new();
    private ExportEngine Engine => _test.Engine;

    public void Dispose() => _test.Dispose();

    public enum Tunnel
    {
        UdpIPv4With32BitCookiesACounterAndAnOffset,
        UdpIPv6With64BitCookiesAndAPinnedCounter,
        RawIPv4WithSessionsThatDiffer,
    }

    [Theory]
    [InlineData(Tunnel.UdpIPv4With32BitCookiesACounterAndAnOffset)]
    [InlineData(Tunnel.UdpIPv6With64BitCookiesAndAPinnedCounter)]
    [InlineData(Tunnel.RawIPv4WithSessionsThatDiffer)]
    public void FramesCrossATunnelToQemusL2tpv3NetdevBothWays(Tunnel tunnel)
    {
        var (ours, qemus) = Ends(tunnel);
        using var ourFar = NetTestPorts.BoundUdp();
        int ourDgramPort = NetTestPorts.FreeUdp();

        Engine.AddNetdev(ours);
        Engine.AddNetdev(new DgramNetdevOptions
        {
            Id = "d",
            Local = SocketAddressOptions.Inet("127.0.0.1", ourDgramPort),
            Remote = SocketAddressOptions.Inet("127.0.0.1", ((IPEndPoint)ourFar.LocalEndPoint!).Port),
        });
        _test.AddHubPort("pl", ours.Id);
        _test.AddHubPort("pd", "d");

        using var qemu = new QemuNetdevRelay($"l2tpv3,id=q,{qemus.Summary()}");
        qemu.ExchangeFrames(ourFar, new IPEndPoint(IPAddress.Loopback, ourDgramPort), TestFrames.Make, Timeout);

        _test.WaitUntil(info => info.ReceivedFrames == 4, ours.Id, "the frames to QEMU were counted");
        var counters = _test.Info(ours.Id);
        Assert.True(counters.SentFrames >= 5, $"the frames from QEMU were counted: {counters}");
        Assert.Equal((0L, 0L), (counters.SentDropped, counters.ReceivedDropped));
    }

    /// <summary>ExportPS's end and QEMU's end of one tunnel: addresses, ports, sessions and cookies mirrored.</summary>
    private static (L2tpv3NetdevOptions Ours, L2tpv3NetdevOptions Qemus) Ends(Tunnel tunnel)
    {
        switch (tunnel)
        {
            case Tunnel.UdpIPv4With32BitCookiesACounterAndAnOffset:
            {
                int ourPort = NetTestPorts.FreeUdp(), qemuPort = NetTestPorts.FreeUdp();
                var ours = new L2tpv3NetdevOptions
                {
                    Id = "l", Src = "127.0.0.1", Dst = "127.0.0.1", Udp = true, SrcPort = ourPort, DstPort = qemuPort,
                    TxSession = 0x11, RxSession = 0x22, TxCookie = 0xC0C0A, RxCookie = 0xF00D, Counter = true, Offset = 4,
                };
                return (ours, ours with { Id = "q", SrcPort = qemuPort, DstPort = ourPort, TxSession = 0x22, RxSession = 0x11, TxCookie = 0xF00D, RxCookie = 0xC0C0A });
            }

            case Tunnel.UdpIPv6With64BitCookiesAndAPinnedCounter:
            {
                int ourPort = FreeUdpIPv6(), qemuPort = FreeUdpIPv6();
                var ours = new L2tpv3NetdevOptions
                {
                    Id = "l", Src = "::1", Dst = "::1", Ipv6 = true, Udp = true, SrcPort = ourPort, DstPort = qemuPort,
                    TxSession = 7, RxSession = 8, Cookie64 = true, TxCookie = 0x1122334455667788, RxCookie = 0x8877665544332211,
                    Counter = true, PinCounter = true,
                };
                return (ours, ours with { Id = "q", SrcPort = qemuPort, DstPort = ourPort, TxSession = 8, RxSession = 7, TxCookie = 0x8877665544332211, RxCookie = 0x1122334455667788 });
            }

            default:
            {
                // Two loopback addresses of their own, so the raw sockets of this test see only each other's packets.
                string prefix = $"127.{Random.Shared.Next(1, 255)}.{Random.Shared.Next(1, 255)}";
                var ours = new L2tpv3NetdevOptions { Id = "l", Src = $"{prefix}.1", Dst = $"{prefix}.2", TxSession = 1000, RxSession = 2000 };
                return (ours, ours with { Id = "q", Src = $"{prefix}.2", Dst = $"{prefix}.1", TxSession = 2000, RxSession = 1000 });
            }
        }
    }

    [Fact]
    public void PacketsOfAnotherSessionOrCookieOrWithoutAFrameAreDroppedAndCountedAsMalformed()
    {
        using var far = NetTestPorts.BoundUdp();
        using var ourFar = NetTestPorts.BoundUdp();
        int port = NetTestPorts.FreeUdp(), dgramPort = NetTestPorts.FreeUdp();
        var farPort = ((IPEndPoint)far.LocalEndPoint!).Port;
        Engine.AddNetdev(new L2tpv3NetdevOptions
        {
            Id = "l", Src = "127.0.0.1", Dst = "127.0.0.1", Udp = true, SrcPort = port, DstPort = farPort,
            TxSession = 1, RxSession = 2, TxCookie = 3, RxCookie = 4,
        });
        Engine.AddNetdev(new DgramNetdevOptions
        {
            Id = "d",
            Local = SocketAddressOptions.Inet("127.0.0.1", dgramPort),
            Remote = SocketAddressOptions.Inet("127.0.0.1", ((IPEndPoint)ourFar.LocalEndPoint!).Port),
        });
        _test.AddHubPort("pl", "l");
        _test.AddHubPort("pd", "d");
        var to = new IPEndPoint(IPAddress.Loopback, port);
        byte[] Packet(uint session, uint cookie, int frameLength)
        {
            var header = new byte[] { 0, 3, 0, 0, 0, 0, 0, (byte)session, 0, 0, 0, (byte)cookie };
            return [.. header, .. TestFrames.Make(frameLength, 9)];
        }

        far.SendTo(Packet(session: 1, cookie: 4, 60), to);
        far.SendTo(Packet(session: 2, cookie: 3, 60), to);
        far.SendTo(Packet(session: 2, cookie: 4, 0), to);
        far.SendTo(Packet(session: 2, cookie: 4, 60), to);
        Assert.Equal(TestFrames.Make(60, 9), Receive(ourFar));
        _test.WaitUntil(info => info.SentDroppedMalformed == 3, "l", "the three bad packets were counted");
        Assert.Equal(1, _test.Info("l").SentFrames);

        // And the way out: ExportPS's header on the frame, with its session and cookie.
        ourFar.SendTo(TestFrames.Make(60, 5), new IPEndPoint(IPAddress.Loopback, dgramPort));
        Assert.Equal(Packet(session: 1, cookie: 3, 0).Concat(TestFrames.Make(60, 5)), Receive(far));
    }

    [Theory]
    [InlineData("""{"txcookie":1}""", "require both 'rxcookie' and 'txcookie' or neither")]
    [InlineData("""{"udp":true,"srcport":"1701"}""", "need both src and dst port for udp")]
    [InlineData("""{"offset":257}""", "offset must be at most 256 bytes")]
    [InlineData("""{"txcookie":4294967296,"rxcookie":1}""", "a cookie over 32 bits needs cookie64=on")]
    public void BadCombinationsAreRefusedAsQemuDoes(string extra, string message)
    {
        var options = (L2tpv3NetdevOptions)NetdevServiceTests.Read(
            $$"""{"type":"l2tpv3","id":"l","src":"127.0.0.1","dst":"127.0.0.1","txsession":1,{{extra[1..]}}""");
        var e = Assert.Throws<EngineException>(() => Engine.AddNetdev(options));
        Assert.Equal((ErrorIds.InvalidNetdevOptions, message), (e.ErrorId, e.Message));
        Assert.Empty(Engine.GetNetdevs());
    }

    [Fact]
    public void AnAddressOfTheOtherFamilyFailsTheAdd()
    {
        var e = Assert.Throws<EngineException>(() => Engine.AddNetdev(new L2tpv3NetdevOptions { Id = "l", Src = "::1", Dst = "::1", TxSession = 1 }));
        Assert.Equal(ErrorIds.NetdevOpenFailed, e.ErrorId);
        Assert.Contains("could not resolve src '::1' as an IPv4 address", e.Message);
    }

    private static byte[] Receive(Socket socket)
    {
        var buffer = new byte[70_000];
        return buffer[..socket.Receive(buffer)];
    }

    private static int FreeUdpIPv6()
    {
        using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
