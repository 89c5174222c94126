using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ExportPS.Engine.Model;
using ExportPS.Engine.Net;
using ExportPS.Engine.Qmp;
using ExportPS.Engine.Tests.Net;
using ExportPS.Engine.Tests.VhostUserNet;
using Xunit;

namespace ExportPS.Engine.Tests.Guest;

/// <summary>
/// Guest A's virtio-net device on a vhost-user netdev of its QEMU whose back-end is ExportPS, guest B on a stream
/// netdev, both ExportPS netdevs on one hub: the guests ping each other both ways (the vhost-user netdev counting the
/// frames, two flows towards A spread over its two receive queues), across a link flap of the vhost-user netdev, a
/// reload of A's virtio-net driver (which stops the rings and sets them up again on the same connection), a restart of
/// the vhost-user netdev (QEMU's chardev reconnects) and a new QEMU in place of a killed one. QEMU's announce-self on
/// A's NIC, which lacks GUEST_ANNOUNCE, has the netdev send the RARP frame (SEND_RARP). A's NIC uses INTx (vectors=0):
/// QEMU 7.2 under TCG crashes with a vhost-user netdev on MSI-X.
/// </summary>
public sealed class VhostUserNetGuestTests : IClassFixture<VhostUserNetGuestTests.Pair>
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(60);
    private readonly Pair _pair;

    public VhostUserNetGuestTests(Pair pair) => _pair = pair;

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Step;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(50);
        }
    }

    private async Task PingBothWaysAsync(string when)
    {
        if ((await _pair.A.RunAsync(NetdevGuestPairTests.WaitForAnswer(Pair.AddressB, 30))).ExitCode != 0)
        {
            Assert.Fail($"A does not reach B {when}:\n{await DescribeAsync()}");
        }

        (await _pair.A.RunAsync(NetdevGuestPairTests.Ping(Pair.AddressB, 3, 30))).Check($"A pings B {when}");
        (await _pair.B.RunAsync(NetdevGuestPairTests.Ping(Pair.AddressA, 3, 30))).Check($"B pings A {when}");
    }

    /// <summary>What the netdevs counted and what each guest sees of its NIC: why a ping went unanswered.</summary>
    private async Task<string> DescribeAsync()
    {
        const string nic = "cat /sys/class/net/eth0/carrier; ip -s link show eth0; ip neigh; grep -i virtio /proc/interrupts";
        var text = new StringBuilder();
        foreach (string id in new[] { "v0", "p0", "s1", "p1" })
        {
            text.AppendLine($"{id}: {_pair.Info(id)}");
        }

        text.AppendLine("A:").AppendLine((await _pair.A.RunAsync(nic)).Output);
        return text.AppendLine("B:").AppendLine((await _pair.B.RunAsync(nic)).Output).ToString();
    }

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

    /// <summary>
    /// B pings A from two addresses whose flows the steering puts on different receive queues: each of A's receive queues
    /// takes one flow.
    /// </summary>
    [Fact]
    public async Task TwoFlowsTowardsTheGuest_UseBothOfItsReceiveQueues()
    {
        var sources = Enumerable.Range(10, 40).Select(i => $"169.254.78.{i}")
            .GroupBy(source => NetFlowHash.Of(VirtioNetRxSteeringTests.IPv4(1, source, Pair.AddressA)) % 2)
            .OrderBy(queue => queue.Key).Select(queue => queue.First()).ToArray();
        Assert.Equal(2, sources.Length);
        await _pair.B.RunAsync($"ip addr add {sources[0]}/16 dev eth0; ip addr add {sources[1]}/16 dev eth0");
        (await _pair.B.RunAsync(NetdevGuestPairTests.WaitForAnswer(Pair.AddressA, 30))).Check("B reaches A");

        var before = ReceiveCompletions();
        foreach (string source in sources)
        {
            (await _pair.B.RunAsync($"ping -c 5 -W 2 -w 30 -I {source} {Pair.AddressA}")).Check($"B pings A from {source}");
        }

        var after = ReceiveCompletions();
        Assert.True(after.Rx0 - before.Rx0 >= 5 && after.Rx1 - before.Rx1 >= 5,
            $"both receive queues took a flow: before {before}, after {after} ({_pair.Info("v0").VirtqueueCompletions})");
    }

    private (long Rx0, long Rx1) ReceiveCompletions()
    {
        string counts = _pair.Info("v0").VirtqueueCompletions!;
        long Count(string queue) => long.Parse(Regex.Match(counts, $@"\b{queue}=(\d+)").Groups[1].Value);
        return (Count("rx0"), Count("rx1"));
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

    /// <summary>
    /// The netdev is removed and added again (a back-end restart): QEMU's chardev (reconnect=1) connects again and
    /// replays features, memory table and rings, and the pings resume.
    /// </summary>
    [Fact]
    public async Task ARestartedVhostUserNetdev_IsReconnectedByQemu_AndThePingsResume()
    {
        _pair.Engine.RemoveNetdev("p0");
        _pair.Engine.RemoveNetdev("v0");
        _pair.AddVhostUserNetdev();
        await WaitUntilAsync(() => _pair.Info("v0").Connected, "QEMU reconnects to the restarted netdev");
        await PingBothWaysAsync("after the netdev's restart");
    }

    /// <summary>A's QEMU is killed and a new one started against the same netdev: the netdev serves the new front-end.</summary>
    [Fact]
    public async Task ANewQemuInPlaceOfAKilledOne_IsServedByTheSameNetdev()
    {
        await _pair.ReplaceAAsync(_pair.BootAAsync);
        Assert.True(_pair.Info("v0").Connected, "the new QEMU is connected");
        await PingBothWaysAsync("from the new QEMU");
    }

    /// <summary>
    /// announce-self on A's QEMU: its NIC lacks GUEST_ANNOUNCE, so QEMU asks the back-end (SEND_RARP) and the netdev sends
    /// the RARP announcement of A's MAC to the hub.
    /// </summary>
    [Fact]
    public async Task AnnounceSelf_OnANicWithoutGuestAnnounce_HasTheNetdevSendTheRarpFrame()
    {
        var capture = new NetCaptureOptions { Id = "announce", Netdev = "v0", Path = _pair.File("announce.pcap"), Queue = NetCaptureDirection.Tx };
        _pair.Engine.AddNetCapture(capture);
        try
        {
            using (var qmp = QmpClient.Connect(_pair.QmpSocket, TimeSpan.FromSeconds(10)))
            {
                qmp.Execute("announce-self", new JsonObject { ["initial"] = 50, ["max"] = 100, ["rounds"] = 1, ["step"] = 50 });
            }

            var expected = new byte[RarpAnnounceFrame.Length];
            RarpAnnounceFrame.Write(MacAddress.Parse(Pair.MacA), expected);
            await WaitUntilAsync(
                () => PcapFile.Parse(File.ReadAllBytes(capture.Path)).Records.Any(record => record.Data.AsSpan().SequenceEqual(expected)),
                "the RARP announcement of A's MAC leaves the vhost-user netdev");
        }
        finally
        {
            _pair.Engine.RemoveNetCapture("announce");
        }
    }

    /// <summary>The engine with its hub, and the two guests booted against it, for all the tests.</summary>
    public sealed class Pair() : GuestPairFixture(AddressA, AddressB)
    {
        public const string AddressA = "169.254.78.1";
        public const string AddressB = "169.254.78.2";
        public const string MacA = "52:54:00:78:00:01";

        private int _boots;

        private string VhostSocket => Path.Combine(Directory.Path, "v0.sock");

        /// <summary>The QMP socket of guest A's QEMU.</summary>
        internal string QmpSocket { get; private set; } = "";

        internal string File(string name) => Path.Combine(Directory.Path, name);

        /// <summary>The vhost-user netdev v0 (two queue pairs) and its hub port p0.</summary>
        internal void AddVhostUserNetdev()
        {
            Engine.AddNetdev(new VhostUserNetdevOptions { Id = "v0", Chardev = "c0", SocketPath = VhostSocket, Queues = 2 });
            Engine.AddNetdev(new HubportNetdevOptions { Id = "p0", HubId = 0, Netdev = "v0" });
        }

        /// <summary>Boots a guest A (two vCPUs) on v0 through a reconnecting chardev, with a QMP socket; each boot in a directory of its own.</summary>
        internal Task<QemuGuest> BootAAsync()
        {
            string directory = System.IO.Directory.CreateDirectory(Path.Combine(Directory.Path, $"a{++_boots}")).FullName;
            QmpSocket = Path.Combine(directory, "qmp.sock");
            return QemuGuest.BootAsync(directory,
            [
                "-chardev", $"socket,id=c0,path={VhostSocket},reconnect=1",
                "-netdev", "vhost-user,id=n0,chardev=c0,queues=2",
                "-device", $"virtio-net-pci,netdev=n0,mac={MacA},mq=on,vectors=0,guest_announce=off",
                "-qmp", $"unix:{QmpSocket},server=on,wait=off",
            ], cpus: 2, timeout: TimeSpan.FromSeconds(180));
        }

        internal override async Task<(QemuGuest A, QemuGuest B)> BootAsync()
        {
            string streamSocket = Path.Combine(Directory.Path, "s1.sock");
            AddVhostUserNetdev();
            Engine.AddNetdev(new StreamNetdevOptions { Id = "s1", Server = true, Address = SocketAddressOptions.Unix(streamSocket) });
            Engine.AddNetdev(new HubportNetdevOptions { Id = "p1", HubId = 0, Netdev = "s1" });

            var a = BootAAsync();
            var b = QemuGuest.BootAsync(System.IO.Directory.CreateDirectory(Path.Combine(Directory.Path, "b")).FullName,
            [
                "-netdev", $"stream,id=n0,server=off,addr.type=unix,addr.path={streamSocket}",
                "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:78:00:02",
            ], timeout: TimeSpan.FromSeconds(180));
            return (await a, await b);
        }
    }
}
