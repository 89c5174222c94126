using ExportPS.Engine.Model;
using ExportPS.Engine.Tests.Net;
using Xunit;

namespace ExportPS.Engine.Tests.Guest;

/// <summary>
/// A QEMU guest whose stream netdev reaches an ExportPS stream netdev, joined by an ExportPS hub to an ExportPS tap
/// netdev whose interface sits in a private network namespace the test makes: the host side (the namespace) pings the
/// guest through the tap, and the guest pings back.
/// </summary>
public sealed class NetdevTapGuestTests : IClassFixture<NetdevTapGuestTests.TapAndGuest>
{
    private readonly TapAndGuest _fixture;

    public NetdevTapGuestTests(TapAndGuest fixture) => _fixture = fixture;

    [Fact]
    public async Task TheHostSidePingsTheGuestThroughTheTapAndTheGuestPingsBack()
    {
        var ping = _fixture.Namespace.Exec(Peer.Busybox, "ping", "-c", "3", "-W", "2", "-w", "30", _fixture.GuestAddress);
        Assert.True(ping.ExitCode == 0, $"the namespace pings the guest: {ping.Stdout}{ping.Stderr}");
        (await _fixture.Guest.RunAsync($"ping -c 3 -W 2 -w 30 {_fixture.HostAddress}")).Check("the guest pings the namespace");

        var tap = _fixture.Info("t");
        Assert.True(tap.ReceivedFrames >= 6 && tap.SentFrames >= 6, $"the tap carried both pings: {tap}");
        Assert.Equal(0L, tap.ReceivedDropped + tap.SentDropped);
    }

    /// <summary>The namespace, the engine with its tap and hub, and the guest booted against it, for all the tests.</summary>
    public sealed class TapAndGuest : IAsyncLifetime
    {
        private readonly TempDirectory _directory = new();

        public ExportEngine Engine { get; } = new();

        internal TestNetworkNamespace Namespace { get; } = new();

        internal QemuGuest Guest { get; private set; } = null!;

        public string HostAddress => $"{Namespace.Subnet}.1";

        public string GuestAddress => $"{Namespace.Subnet}.2";

        public NetdevInfo Info(string id) => Engine.GetNetdevs().Single(n => n.Id == id);

        public async Task InitializeAsync()
        {
            string name = TestNetworkNamespace.UniqueInterfaceName();
            string socket = Path.Combine(_directory.Path, "s.sock");
            Engine.AddNetdev(new StreamNetdevOptions { Id = "s", Server = true, Address = SocketAddressOptions.Unix(socket) });
            Engine.AddNetdev(new TapNetdevOptions { Id = "t", IfName = name, VnetHdr = true });
            Engine.AddNetdev(new HubportNetdevOptions { Id = "ps", HubId = 0, Netdev = "s" });
            Engine.AddNetdev(new HubportNetdevOptions { Id = "pt", HubId = 0, Netdev = "t" });
            Namespace.MoveIn(name);
            Namespace.AddressUp(name);

            string guestDirectory = Directory.CreateDirectory(Path.Combine(_directory.Path, "guest")).FullName;
            Guest = await QemuGuest.BootAsync(guestDirectory,
            [
                "-netdev", $"stream,id=n0,server=off,addr.type=unix,addr.path={socket}",
                "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:78:00:01",
            ], timeout: TimeSpan.FromSeconds(180));
            (await Guest.RunAsync($"ip addr add {GuestAddress}/24 dev eth0 && ip link set eth0 up")).Check("configuring the guest's eth0");
        }

        public async Task DisposeAsync()
        {
            if (Guest is not null)
                await Guest.DisposeAsync();
            Engine.Dispose();
            Namespace.Dispose();
            _directory.Dispose();
        }
    }
}
