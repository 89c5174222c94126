using ExportPS.Engine.Model;
using ExportPS.Engine.Tests.Net;
using Xunit;

namespace ExportPS.Engine.Tests.Guest;

/// <summary>
/// Two QEMU guests, each with a stream netdev of its own QEMU connected to a stream netdev of ExportPS, the two
/// ExportPS netdevs joined by a hub: the guests ping each other over link-local addresses, and set_link on a hub port
/// cuts and restores the path, the lost frames counted as link-down drops; a capture of a hub port records the pings.
/// </summary>
public sealed class NetdevGuestPairTests : IClassFixture<NetdevGuestPairTests.Pair>
{
    private readonly Pair _pair;

    public NetdevGuestPairTests(Pair pair) => _pair = pair;

    internal static string Ping(string address, int count, int deadlineSeconds) => $"ping -c {count} -W 2 -w {deadlineSeconds} {address}";

    /// <summary>Pings once a second until one is answered (busybox's ping stops after -c sent, answered or not); fails after the given tries.</summary>
    internal static string WaitForAnswer(string address, int tries) =>
        $"i=0; until ping -c 1 -W 1 {address} >/dev/null; do i=$((i+1)); [ $i -ge {tries} ] && exit 1; done; true";

    [Fact]
    public async Task TheGuestsPingEachOtherThroughTheHubAndALinkDownCutsThePathUntilItIsUpAgain()
    {
        (await _pair.A.RunAsync(Ping(Pair.AddressB, 3, 30))).Check("A pings B");
        (await _pair.B.RunAsync(Ping(Pair.AddressA, 3, 30))).Check("B pings A");
        var before = _pair.Info("p0");
        Assert.True(before.ReceivedFrames >= 3 && before.SentFrames >= 3, $"the hub port carried the pings: {before}");

        _pair.Engine.SetLink("p0", false);
        var lost = await _pair.A.RunAsync(Ping(Pair.AddressB, 3, 6));
        Assert.NotEqual(0, lost.ExitCode);
        var down = _pair.Info("p0");
        Assert.False(down.LinkUp);
        Assert.True(down.ReceivedDroppedLinkDown >= 3, $"A's echo requests were dropped as link-down at the hub port: {down}");

        _pair.Engine.SetLink("p0", true);
        (await _pair.A.RunAsync(Ping(Pair.AddressB, 3, 30))).Check("A pings B once the link is up again");
        (await _pair.B.RunAsync(Ping(Pair.AddressA, 3, 30))).Check("B pings A once the link is up again");
    }

    [Fact]
    public async Task APingGivesIcmpRequestAndReplyFramesThatTsharkDecodesFromThePcap()
    {
        using var directory = new TempDirectory();
        string pcap = directory.File("p0.pcap");
        _pair.Engine.AddNetCapture(new NetCaptureOptions { Id = "ping-dump", Netdev = "p0", Path = pcap });
        try
        {
            (await _pair.A.RunAsync(Ping(Pair.AddressB, 2, 30))).Check("A pings B");
        }
        finally
        {
            _pair.Engine.RemoveNetCapture("ping-dump");
        }

        var icmp = Tshark.Fields(pcap, directory.Path, "icmp.type", "ip.src", "ip.dst")
            .Where(row => row[0].Length > 0)
            .Select(row => (Type: row[0], Source: row[1], Destination: row[2]))
            .ToArray();
        Assert.Contains(("8", Pair.AddressA, Pair.AddressB), icmp);
        Assert.Contains(("0", Pair.AddressB, Pair.AddressA), icmp);
        Assert.True(icmp.Count(frame => frame.Type == "8") >= 2 && icmp.Count(frame => frame.Type == "0") >= 2,
            $"two echo requests and two replies: {string.Join("; ", icmp)}");
    }

    /// <summary>The engine with its hub, and the two guests booted against it, for all the tests.</summary>
    public sealed class Pair() : GuestPairFixture(AddressA, AddressB)
    {
        public const string AddressA = "169.254.77.1";
        public const string AddressB = "169.254.77.2";

        internal override async Task<(QemuGuest A, QemuGuest B)> BootAsync()
        {
            var guests = new Task<QemuGuest>[2];
            for (int i = 0; i < 2; i++)
            {
                string socket = Path.Combine(Directory.Path, $"s{i}.sock");
                Engine.AddNetdev(new StreamNetdevOptions { Id = $"s{i}", Server = true, Address = SocketAddressOptions.Unix(socket) });
                Engine.AddNetdev(new HubportNetdevOptions { Id = $"p{i}", HubId = 0, Netdev = $"s{i}" });
                string guestDirectory = System.IO.Directory.CreateDirectory(Path.Combine(Directory.Path, $"guest{i}")).FullName;
                guests[i] = QemuGuest.BootAsync(guestDirectory,
                [
                    "-netdev", $"stream,id=n0,server=off,addr.type=unix,addr.path={socket}",
                    "-device", $"virtio-net-pci,netdev=n0,mac=52:54:00:77:00:0{i + 1}",
                ], timeout: TimeSpan.FromSeconds(180));
            }

            return (await guests[0], await guests[1]);
        }
    }
}
