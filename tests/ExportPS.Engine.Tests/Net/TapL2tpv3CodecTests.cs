using ExportPS.Engine.Model;
using ExportPS.Engine.Qmp;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

/// <summary>netdev_add's arguments for tap and l2tpv3 as QmpExportEngine writes them read back to the same options.</summary>
public sealed class TapL2tpv3CodecTests
{
    public static TheoryData<NetdevOptions> Options() =>
    [
        new TapNetdevOptions { Id = "t", IfName = "tap7", Script = "/up", DownScript = "no", SndBuf = 4096, VnetHdr = true, Queues = 4, Vhost = false, VhostForce = false, PollUs = 0 },
        new TapNetdevOptions { Id = "f", Fds = "5:6", VhostFd = "3", VhostFds = "7:8" },
        new TapNetdevOptions { Id = "h", Helper = "/usr/lib/qemu/qemu-bridge-helper", Br = "br1" },
        new L2tpv3NetdevOptions
        {
            Id = "l", Src = "::1", Dst = "::1", SrcPort = 1, DstPort = 2, Ipv6 = true, Udp = true, Cookie64 = true, Counter = true,
            PinCounter = false, TxCookie = ulong.MaxValue, RxCookie = 0, TxSession = uint.MaxValue, RxSession = 0, Offset = 256,
        },
        new L2tpv3NetdevOptions { Id = "m", Src = "127.0.0.1", Dst = "127.0.0.2", TxSession = 5 },
    ];

    [Theory]
    [MemberData(nameof(Options))]
    public void WrittenArgumentsReadBackToTheSameOptions(NetdevOptions options) => NetdevArguments.AssertReadBack(options);

    [Fact]
    public void AnL2tpv3NetdevAddedOverQmpIsTheEnginesNetdev()
    {
        using var dir = new TempDirectory();
        using var engine = new ExportEngine();
        using var server = QmpServer.Start(engine, dir.File("qmp.sock"));
        using var client = QmpExportEngine.Connect(server.SocketPath, TimeSpan.FromSeconds(10));
        var options = new L2tpv3NetdevOptions
        {
            Id = "l", Src = "127.0.0.1", Dst = "127.0.0.1", Udp = true, SrcPort = NetTestPorts.FreeUdp(), DstPort = 9, TxSession = 1, TxCookie = 2, RxCookie = 3,
        };
        var added = client.AddNetdev(options);
        Assert.Equal(engine.GetNetdevs().Single(), added);
        Assert.Equal(("l2tpv3", options.Summary()), (added.Type, added.Options));
        Assert.Contains("txcookie=2,rxcookie=3,txsession=1", added.Options);
    }
}
