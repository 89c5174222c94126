using ExportPS.Engine.Model;
using Xunit;

namespace ExportPS.Engine.Tests.Guest;

/// <summary>
/// Two QEMU guests whose netdevs are dgram, one over UDP and one over unix datagram sockets, each to an ExportPS dgram
/// netdev of the same kind, the two joined by a hub: the guests ping each other both ways.
/// </summary>
public sealed class NetdevGuestDgramTests : IClassFixture<NetdevGuestDgramTests.Pair>
{
    private readonly Pair _pair;

    public NetdevGuestDgramTests(Pair pair) => _pair = pair;

    [Fact]
    public async Task GuestsOnUdpAndUnixDgramNetdevsPingEachOtherThroughTheHub()
    {
        (await _pair.Udp.RunAsync(NetdevGuestPairTests.Ping(Pair.UnixAddress, 3, 30))).Check("the UDP guest pings the unix guest");
        (await _pair.Unix.RunAsync(NetdevGuestPairTests.Ping(Pair.UdpAddress, 3, 30))).Check("the unix guest pings the UDP guest");
        foreach (var id in new[] { "udp", "unix" })
        {
            var info = _pair.Engine.GetNetdevs().Single(n => n.Id == id);
            Assert.True(info.ReceivedFrames >= 6 && info.SentFrames >= 6, $"{id} carried both guests' pings: {info}");
        }
    }

    /// <summary>The engine with its hub, and the two guests booted against it, for all the tests.</summary>
    public sealed class Pair : IAsyncLifetime
    {
        public const string UdpAddress = "169.254.78.1";
        public const string UnixAddress = "169.254.78.2";

        private readonly TempDirectory _directory = new();

        public ExportEngine Engine { get; } = new();

        internal QemuGuest Udp { get; private set; } = null!;

        internal QemuGuest Unix { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            int exportpsPort = Net.NetTestPorts.FreeUdp(), guestPort = Net.NetTestPorts.FreeUdp();
            Engine.AddNetdev(new DgramNetdevOptions
            {
                Id = "udp",
                Local = SocketAddressOptions.Inet("127.0.0.1", exportpsPort),
                Remote = SocketAddressOptions.Inet("127.0.0.1", guestPort),
            });
            string exportpsPath = _directory.File("exportps.sock"), guestPath = _directory.File("guest.sock");
            Engine.AddNetdev(new DgramNetdevOptions
            {
                Id = "unix",
                Local = SocketAddressOptions.Unix(exportpsPath),
                Remote = SocketAddressOptions.Unix(guestPath),
            });
            Engine.AddNetdev(new HubportNetdevOptions { Id = "p0", HubId = 0, Netdev = "udp" });
            Engine.AddNetdev(new HubportNetdevOptions { Id = "p1", HubId = 0, Netdev = "unix" });

            var udp = Boot("udp", 1,
                $"dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port={guestPort},remote.type=inet,remote.host=127.0.0.1,remote.port={exportpsPort}");
            var unix = Boot("unix", 2,
                $"dgram,id=n0,local.type=unix,local.path={guestPath},remote.type=unix,remote.path={exportpsPath}");
            Udp = await udp;
            Unix = await unix;
            (await Udp.RunAsync($"ip addr add {UdpAddress}/16 dev eth0 && ip link set eth0 up")).Check("configuring the UDP guest's eth0");
            (await Unix.RunAsync($"ip addr add {UnixAddress}/16 dev eth0 && ip link set eth0 up")).Check("configuring the unix guest's eth0");
        }

        private Task<QemuGuest> Boot(string name, int mac, string netdev) =>
            QemuGuest.BootAsync(Directory.CreateDirectory(Path.Combine(_directory.Path, name)).FullName,
            [
                "-netdev", netdev,
                "-device", $"virtio-net-pci,netdev=n0,mac=52:54:00:78:00:0{mac}",
            ], timeout: TimeSpan.FromSeconds(180));

        public async Task DisposeAsync()
        {
            if (Udp is not null)
                await Udp.DisposeAsync();
            if (Unix is not null)
                await Unix.DisposeAsync();
            Engine.Dispose();
            _directory.Dispose();
        }
    }
}
