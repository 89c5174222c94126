using ExportPS.Engine.Model;
using Xunit;

namespace ExportPS.Engine.Tests.Guest;

/// <summary>
/// Guest A's virtio-net device on a vhost-user netdev of its QEMU whose back-end is ExportPS, guest B on a stream
/// netdev, both ExportPS netdevs on one hub: the guests ping each other both ways (the vhost-user netdev counting the
/// frames), across a link flap of the vhost-user netdev and a reload of A's virtio-net driver (which stops the rings
/// and sets them up again on the same connection). A's NIC uses INTx (vectors=0): QEMU 7.2 under TCG crashes with a vhost-user netdev on MSI-X.
/// </summary>
public sealed class VhostUserNetGuestTests : IClassFixture<VhostUserNetGuestTests.Pair>
{
    private readonly Pair _pair;

    public VhostUserNetGuestTests(Pair pair) => _pair = pair;

    [Fact]
    public async Task TheGuestsPingEachOtherThroughTheVhostUserNetdevAndTheHub()
    {
        (await _pair.A.RunAsync(NetdevGuestPairTests.Ping(Pair.AddressB, 3, 30))).Check("A (vhost-user) pings B");
        (await _pair.B.RunAsync(NetdevGuestPairTests.Ping(Pair.AddressA, 3, 30))).Check("B pings A (vhost-user)");
        var vhost = _pair.Info("v0");
        Assert.True(vhost.Connected, "guest A's QEMU is connected");
        (await _pair.A.RunAsync("ls -d /sys/class/net/eth0/queues/tx-1")).Check("A's NIC runs two queue pairs");
        Assert.True(vhost.SentFrames >= 6 && vhost.ReceivedFrames >= 6, $"the vhost-user netdev carried both pings: {vhost}");
    }

    [Fact]
    public async Task ALinkDownOnTheVhostUserNetdevCutsThePathUntilItIsUpAgain()
    {
        _pair.Engine.SetLink("v0", false);
        try
        {
            var lost = await _pair.B.RunAsync(NetdevGuestPairTests.Ping(Pair.AddressA, 2, 5));
            Assert.NotEqual(0, lost.ExitCode);
            Assert.True(_pair.Info("v0").ReceivedDroppedLinkDown >= 2, "B's requests were dropped as link-down");
        }
        finally
        {
            _pair.Engine.SetLink("v0", true);
        }

        // The guest learns of the link from the device's config space (VIRTIO_NET_S_LINK_UP) and brings its carrier back
        // a moment later: the first pings may still go nowhere.
        (await _pair.B.RunAsync(NetdevGuestPairTests.WaitForAnswer(Pair.AddressA, 30))).Check("B reaches A once the link is up again");
        (await _pair.B.RunAsync(NetdevGuestPairTests.Ping(Pair.AddressA, 3, 30))).Check("B pings A once the link is up again");
    }

    [Fact]
    public async Task AfterAGuestDriverReload_TheRingsAreSetUpAgainAndThePingsGoThrough()
    {
        string reload = "d=$(basename $(readlink /sys/class/net/eth0/device)) && echo $d > /sys/bus/virtio/drivers/virtio_net/unbind"
            + " && echo $d > /sys/bus/virtio/drivers/virtio_net/bind && sleep 1"
            + $" && ip addr add {Pair.AddressA}/16 dev eth0 && ip link set eth0 up";
        (await _pair.A.RunAsync(reload)).Check("reloading A's virtio-net driver");
        (await _pair.A.RunAsync(NetdevGuestPairTests.Ping(Pair.AddressB, 3, 30))).Check("A pings B after the reload");
        (await _pair.B.RunAsync(NetdevGuestPairTests.Ping(Pair.AddressA, 3, 30))).Check("B pings A after the reload");
    }

    /// <summary>The engine with its hub, and the two guests booted against it, for all the tests.</summary>
    public sealed class Pair() : GuestPairFixture(AddressA, AddressB)
    {
        public const string AddressA = "169.254.78.1";
        public const string AddressB = "169.254.78.2";

        internal override async Task<(QemuGuest A, QemuGuest B)> BootAsync()
        {
            string vhostSocket = Path.Combine(Directory.Path, "v0.sock");
            string streamSocket = Path.Combine(Directory.Path, "s1.sock");
            Engine.AddNetdev(new VhostUserNetdevOptions { Id = "v0", Chardev = "c0", SocketPath = vhostSocket, Queues = 2 });
            Engine.AddNetdev(new HubportNetdevOptions { Id = "p0", HubId = 0, Netdev = "v0" });
            Engine.AddNetdev(new StreamNetdevOptions { Id = "s1", Server = true, Address = SocketAddressOptions.Unix(streamSocket) });
            Engine.AddNetdev(new HubportNetdevOptions { Id = "p1", HubId = 0, Netdev = "s1" });

            var a = QemuGuest.BootAsync(System.IO.Directory.CreateDirectory(Path.Combine(Directory.Path, "a")).FullName,
            [
                "-chardev", $"socket,id=c0,path={vhostSocket}",
                "-netdev", "vhost-user,id=n0,chardev=c0,queues=2",
                "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:78:00:01,mq=on,vectors=0",
            ], cpus: 2, timeout: TimeSpan.FromSeconds(180));
            var b = QemuGuest.BootAsync(System.IO.Directory.CreateDirectory(Path.Combine(Directory.Path, "b")).FullName,
            [
                "-netdev", $"stream,id=n0,server=off,addr.type=unix,addr.path={streamSocket}",
                "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:78:00:02",
            ], timeout: TimeSpan.FromSeconds(180));
            return (await a, await b);
        }
    }
}
