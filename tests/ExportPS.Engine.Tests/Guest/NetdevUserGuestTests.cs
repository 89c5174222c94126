using System.Net;
using System.Net.Sockets;
using System.Text;
using ExportPS.Engine.Model;
using ExportPS.Engine.Tests.Net;
using Xunit;

namespace ExportPS.Engine.Tests.Guest;

/// <summary>
/// A QEMU guest with three NICs, each a stream netdev peered (x-peer) with an ExportPS user netdev: eth0 on an open
/// network (dhcpstart, dnssearch, domainname and a host forward set), eth1 on a restricted one (restrict=on), eth2 on a
/// network served by the host executable inside a private network namespace. The guest leases its addresses with
/// busybox udhcpc, reaches a TCP server on the host's loopback through the gateway, serves a host forward, is kept in
/// by restrict=on, and resolves names through the built-in DNS.
/// </summary>
/// <remarks>
/// The built-in DNS forwards queries to the resolver in the host's /etc/resolv.conf. So that the test keeps to loopback,
/// eth2's host runs under `ip netns exec`, which mounts the namespace's own resolv.conf naming a test DNS server on the
/// namespace's 127.0.0.1.
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

    [Fact]
    public async Task TheBuiltInDnsResolvesThroughTheHostsResolver()
    {
        string resolved = (await _guest.Vm.RunAsync($"nslookup {TestDnsServer.Name} {Guest.DnsNetworkPrefix}.3")).Check("resolving the test name");
        Assert.Contains($"Address: {TestDnsServer.Address}", resolved);
        var refused = await _guest.Vm.RunAsync($"nslookup refused.example {Guest.DnsNetworkPrefix}.3");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.DoesNotContain(TestDnsServer.Address, refused.Output);
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

    /// <summary>
    /// The engine with the two user netdevs, the host with the third in its namespace beside the test DNS server, and
    /// the guest booted against them and leased, for all the tests.
    /// </summary>
    public sealed class Guest : IAsyncLifetime
    {
        public const int GuestPort = 7777;

        /// <summary>The first three octets of eth2's network, whose built-in DNS is at .3.</summary>
        public const string DnsNetworkPrefix = "10.0.4";

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

        private TestNetworkNamespace? _network;
        private TestDnsServer? _dns;
        private HostProcess? _host;

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
            string dnsSocket = StartHostWithItsOwnResolver();

            Vm = await QemuGuest.BootAsync(Directory.CreateDirectory(Path.Combine(_directory.Path, "guest")).FullName,
            [
                "-netdev", $"stream,id=n0,server=off,addr.type=unix,addr.path={openSocket}",
                "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:79:00:01",
                "-netdev", $"stream,id=n1,server=off,addr.type=unix,addr.path={restrictedSocket}",
                "-device", "virtio-net-pci,netdev=n1,mac=52:54:00:79:00:02",
                "-netdev", $"stream,id=n2,server=off,addr.type=unix,addr.path={dnsSocket}",
                "-device", "virtio-net-pci,netdev=n2,mac=52:54:00:79:00:03",
            ], timeout: TimeSpan.FromSeconds(180));
            string script = Convert.ToBase64String(Encoding.ASCII.GetBytes(LeaseScript.Replace("\r", "") + "\n"));
            (await Vm.RunAsync($"echo {script} | base64 -d >/tmp/lease.sh && chmod +x /tmp/lease.sh")).Check("writing the lease script");
            Lease = (await Vm.RunAsync(Udhcpc("eth0"))).Check("leasing eth0");
            RestrictedLease = (await Vm.RunAsync(Udhcpc("eth1"))).Check("leasing eth1");
            (await Vm.RunAsync(Udhcpc("eth2"))).Check("leasing eth2");
        }

        /// <summary>
        /// Starts the namespace, its DNS server and the host with a user netdev peered with a stream server (unix sockets
        /// cross network namespaces); returns that socket.
        /// </summary>
        private string StartHostWithItsOwnResolver()
        {
            _network = new TestNetworkNamespace();
            _dns = new TestDnsServer(_network);
            string socket = _directory.File("dns.sock");
            _host = HostProcess.StartInNetworkNamespace(_network.Name,
                "--netdev", $"user,id=u0,net={DnsNetworkPrefix}.0/24",
                "--netdev", $"stream,id=s2,server=on,addr.type=unix,addr.path={socket},x-peer=u0");
            _host.WaitForUnix(socket);
            return socket;
        }

        private static string Udhcpc(string device) =>
            $"ip link set {device} up && udhcpc -i {device} -n -q -f -t 10 -T 2 -O search -s /tmp/lease.sh";

        public async Task DisposeAsync()
        {
            if (Vm is not null)
                await Vm.DisposeAsync();
            _host?.Dispose();
            _dns?.Dispose();
            _network?.Dispose();
            Engine.Dispose();
            _directory.Dispose();
        }
    }
}
