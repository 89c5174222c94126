using System.Net;
using System.Net.Sockets;
using System.Text;
using ExportPS.Engine.Model;
using Xunit;

namespace ExportPS.Engine.Tests.Guest;

/// <summary>
/// A QEMU guest with two NICs, each a stream netdev peered (x-peer) with an ExportPS user netdev: eth0 on an open
/// network (dhcpstart, dnssearch, domainname and a host forward set), eth1 on a restricted one (restrict=on). The guest
/// leases its addresses with busybox udhcpc, reaches a TCP server on the host's loopback through the gateway, serves
/// a host forward, and is kept in by restrict=on.
/// </summary>
/// <remarks>
/// The built-in DNS (10.0.2.3) forwards queries to the host's resolver from /etc/resolv.conf, which on this machine is a
/// non-loopback address; tests keep to loopback, so DNS forwarding is not exercised here: the lease's DNS server,
/// domain and search list are.
/// </remarks>
public sealed class NetdevUserGuestTests : IClassFixture<NetdevUserGuestTests.Guest>
{
    private readonly Guest _guest;

    public NetdevUserGuestTests(Guest guest) => _guest = guest;

    [Fact]
    public void TheGuestLeasesTheDhcpStartAddressWithTheNetworksGatewayDnsAndSearchList()
    {
        string lease = _guest.Lease;
        Assert.Contains("ip=10.0.2.20 ", lease);
        Assert.Contains("router=10.0.2.2 ", lease);
        Assert.Contains("dns=10.0.2.3 ", lease);
        Assert.Contains("domain=exportps.test ", lease);
        Assert.Contains("search=example.test", lease);
        Assert.Contains("ip=10.0.3.15 ", _guest.RestrictedLease);
    }

    [Fact]
    public async Task TheGuestReachesATcpServerOnTheHostLoopbackThroughTheGateway()
    {
        using var server = new GreetingServer("hello from the host");
        string output = (await _guest.Vm.RunAsync($"nc -w 10 10.0.2.2 {server.Port} </dev/null")).Check("connecting to the host");
        Assert.Contains("hello from the host", output);
        Assert.Equal(1, server.Accepted);
    }

    [Fact]
    public async Task AHostForwardOnLoopbackReachesAServerInTheGuest()
    {
        (await _guest.Vm.RunAsync($"(echo hello from the guest | nc -l -p {Guest.GuestPort}) >/dev/null 2>&1 &")).Check("starting nc -l");
        string received = await ReadForwardedAsync(_guest.ForwardPort);
        Assert.Equal("hello from the guest\n", received);
    }

    [Fact]
    public async Task RestrictOnKeepsTheGuestFromReachingTheHost()
    {
        using var server = new GreetingServer("not for restricted guests");
        (await _guest.Vm.RunAsync("ping -c 1 -W 5 10.0.3.2")).Check("the restricted network's gateway answers a ping");
        var result = await _guest.Vm.RunAsync($"nc -w 3 10.0.3.2 {server.Port} </dev/null");
        Assert.DoesNotContain("not for restricted guests", result.Output);
        Assert.Equal(0, server.Accepted);
        var restricted = _guest.Engine.GetNetdevs().Single(n => n.Id == "restricted");
        Assert.True(restricted.ReceivedFrames > 0, $"the restricted netdev saw the guest's frames: {restricted}");
    }

    /// <summary>Connects to the forward until the guest's nc listens (a connection made before is closed at once), then reads all.</summary>
    private static async Task<string> ReadForwardedAsync(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            using var reader = new StreamReader(client.GetStream(), Encoding.ASCII);
            var read = reader.ReadToEndAsync();
            if (await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(10))) != read)
                throw new TimeoutException("the forwarded connection sent nothing and stayed open");
            string text = await read;
            if (text.Length > 0 || DateTime.UtcNow > deadline)
                return text;
            await Task.Delay(200);
        }
    }

    /// <summary>A TCP server on the host's loopback that greets each client and closes; counts whom it accepted.</summary>
    private sealed class GreetingServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _serving;
        private int _accepted;

        public GreetingServer(string greeting)
        {
            _listener.Start();
            _serving = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    Interlocked.Increment(ref _accepted);
                    await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(greeting + "\n"), _stop.Token);
                }
            });
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Accepted => Volatile.Read(ref _accepted);

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            try
            {
                _serving.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
                // Cancelled.
            }

            _stop.Dispose();
        }
    }

    /// <summary>The engine with the two user netdevs, and the guest booted against them and leased, for all the tests.</summary>
    public sealed class Guest : IAsyncLifetime
    {
        public const int GuestPort = 7777;

        /// <summary>busybox udhcpc's script: takes the lease on the interface and prints what it was given.</summary>
        private const string LeaseScript = """
            #!/bin/sh
            if [ "$1" = bound ]; then
                ip addr add "$ip/$mask" dev "$interface"
                if [ "$interface" = eth0 ]; then ip route add default via "$router" dev "$interface"; fi
                echo "lease ip=$ip router=$router dns=$dns domain=$domain search=$search"
            fi
            """;

        private readonly TempDirectory _directory = new();

        public ExportEngine Engine { get; } = new();

        public int ForwardPort { get; } = Net.NetTestPorts.FreeTcp();

        internal QemuGuest Vm { get; private set; } = null!;

        public string Lease { get; private set; } = "";

        public string RestrictedLease { get; private set; } = "";

        public async Task InitializeAsync()
        {
            Engine.AddNetdev(new UserNetdevOptions
            {
                Id = "open",
                DhcpStart = "10.0.2.20",
                DnsSearch = ["example.test"],
                DomainName = "exportps.test",
                HostFwd = [$"tcp:127.0.0.1:{ForwardPort}-:{GuestPort}"],
            });
            Engine.AddNetdev(new UserNetdevOptions { Id = "restricted", Net = "10.0.3.0/24", Restrict = true });
            string openSocket = _directory.File("open.sock"), restrictedSocket = _directory.File("restricted.sock");
            Engine.AddNetdev(new StreamNetdevOptions { Id = "s0", Server = true, Address = SocketAddressOptions.Unix(openSocket), Peer = "open" });
            Engine.AddNetdev(new StreamNetdevOptions { Id = "s1", Server = true, Address = SocketAddressOptions.Unix(restrictedSocket), Peer = "restricted" });

            Vm = await QemuGuest.BootAsync(Directory.CreateDirectory(Path.Combine(_directory.Path, "guest")).FullName,
            [
                "-netdev", $"stream,id=n0,server=off,addr.type=unix,addr.path={openSocket}",
                "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:79:00:01",
                "-netdev", $"stream,id=n1,server=off,addr.type=unix,addr.path={restrictedSocket}",
                "-device", "virtio-net-pci,netdev=n1,mac=52:54:00:79:00:02",
            ], timeout: TimeSpan.FromSeconds(180));
            string script = Convert.ToBase64String(Encoding.ASCII.GetBytes(LeaseScript.Replace("\r", "") + "\n"));
            (await Vm.RunAsync($"echo {script} | base64 -d >/tmp/lease.sh && chmod +x /tmp/lease.sh")).Check("writing the lease script");
            Lease = (await Vm.RunAsync(Udhcpc("eth0"))).Check("leasing eth0");
            RestrictedLease = (await Vm.RunAsync(Udhcpc("eth1"))).Check("leasing eth1");
        }

        private static string Udhcpc(string device) =>
            $"ip link set {device} up && udhcpc -i {device} -n -q -f -t 10 -T 2 -O search -s /tmp/lease.sh";

        public async Task DisposeAsync()
        {
            if (Vm is not null)
                await Vm.DisposeAsync();
            Engine.Dispose();
            _directory.Dispose();
        }
    }
}
