using System.Net;
using System.Net.Sockets;
using ExportPS.Engine.Model;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

/// <summary>Datagram netdevs (socket udp=, dgram inet and unix) of a real engine, with far ends written in the test.</summary>
public sealed class NetdevDatagramTests : IDisposable
{
    private readonly NetdevTestEngine _test = new();
    private ExportEngine Engine => _test.Engine;

    public void Dispose() => _test.Dispose();

    private NetdevInfo Info(string id) => _test.Info(id);

    /// <summary>Joins netdevs a and b on hub 0, so what one's far end sends leaves by the other.</summary>
    private void Join(string a, string b)
    {
        _test.AddHubPort("p" + a, a);
        _test.AddHubPort("p" + b, b);
    }

    private static byte[] Receive(Socket socket)
    {
        var buffer = new byte[70_000];
        return buffer[..socket.Receive(buffer)];
    }

    [Fact]
    public void SocketUdpAndDgramInetRelayDatagramsAsFramesBothWays()
    {
        using var udpFar = NetTestPorts.BoundUdp();
        using var dgramFar = NetTestPorts.BoundUdp();
        int udpLocal = NetTestPorts.FreeUdp();
        int dgramLocal = NetTestPorts.FreeUdp();
        Engine.AddNetdev(new SocketNetdevOptions { Id = "u", Udp = udpFar.LocalEndPoint!.ToString(), LocalAddr = $"127.0.0.1:{udpLocal}" });
        Engine.AddNetdev(new DgramNetdevOptions
        {
            Id = "d",
            Local = SocketAddressOptions.Inet("127.0.0.1", dgramLocal),
            Remote = SocketAddressOptions.Inet("127.0.0.1", ((IPEndPoint)dgramFar.LocalEndPoint!).Port),
        });
        Join("u", "d");

        udpFar.SendTo(TestFrames.Make(60, 1), new IPEndPoint(IPAddress.Loopback, udpLocal));
        Assert.Equal(TestFrames.Make(60, 1), Receive(dgramFar));
        dgramFar.SendTo(TestFrames.Make(1514, 2), new IPEndPoint(IPAddress.Loopback, dgramLocal));
        Assert.Equal(TestFrames.Make(1514, 2), Receive(udpFar));

        // A frame is counted once the backend took it, and its writer may put it on the wire before that count lands.
        SpinWait.SpinUntil(() => Info("u").ReceivedFrames == 1, TimeSpan.FromSeconds(5));
        Assert.Equal((1L, 1L), (Info("u").SentFrames, Info("u").ReceivedFrames));
    }

    [Fact]
    public void TwoMcastNetdevsInOneGroupOnLoopbackExchangeFrames()
    {
        // A group and port of this test's own, so tests running at the same time on this machine do not hear each other.
        string group = $"230.{Random.Shared.Next(256)}.{Random.Shared.Next(256)}.{Random.Shared.Next(1, 255)}:{NetTestPorts.FreeUdp()}";
        var far = new StreamTestPeer[2];
        for (int i = 0; i < 2; i++)
        {
            Engine.AddNetdev(new SocketNetdevOptions { Id = $"m{i}", Mcast = group, LocalAddr = "127.0.0.1" });
            string socket = _test.File($"s{i}.sock");
            Engine.AddNetdev(new StreamNetdevOptions { Id = $"s{i}", Peer = $"m{i}", Server = true, Address = SocketAddressOptions.Unix(socket) });
            far[i] = StreamTestPeer.ConnectUnix(socket);
            _test.WaitUntil(n => n.Connected, $"s{i}", $"s{i} has its peer");
        }

        using var a = far[0];
        using var b = far[1];
        var toB = TestFrames.Make(60, 21);
        var toA = TestFrames.Make(1514, 22);
        a.SendFrame(toB);
        Assert.Equal(toB, b.ReceiveFrame());
        b.SendFrame(toA);
        // A member hears its own datagrams too (the group's loopback is on, as in QEMU), so a's own frame comes back first.
        Assert.Equal([toB, toA], [a.ReceiveFrame(), a.ReceiveFrame()]);
        _test.WaitUntil(n => n.ReceivedFrames == 1 && n.SentFrames == 2, "m1", "m1 counts b's frame out and both frames in");
    }

    [Fact]
    public void DgramUnixRelaysFramesAndCountsAnOversizeOrEmptyDatagram()
    {
        string Path(string name) => _test.File(name);
        var far = new[] { Bind(Path("far0.sock")), Bind(Path("far1.sock")) };
        try
        {
            for (int i = 0; i < 2; i++)
            {
                Engine.AddNetdev(new DgramNetdevOptions
                {
                    Id = $"d{i}",
                    Local = SocketAddressOptions.Unix(Path($"d{i}.sock")),
                    Remote = SocketAddressOptions.Unix(Path($"far{i}.sock")),
                });
            }

            Join("d0", "d1");
            var d0 = new UnixDomainSocketEndPoint(Path("d0.sock"));
            far[0].SendTo(TestFrames.Make(100, 3), d0);
            Assert.Equal(TestFrames.Make(100, 3), Receive(far[1]));

            far[0].SendBufferSize = 256 * 1024;
            far[0].SendTo(new byte[70_000], d0);
            _test.WaitUntil(n => n.SentDroppedOversize == 1, "d0", "the oversize datagram is counted");
            far[0].SendTo([], d0);
            _test.WaitUntil(n => n.SentDroppedMalformed == 1, "d0", "the empty datagram is counted");

            far[0].SendTo(TestFrames.Make(101, 4), d0);
            Assert.Equal(TestFrames.Make(101, 4), Receive(far[1]));
            Assert.Equal(2, Info("d0").SentFrames);
        }
        finally
        {
            foreach (var socket in far)
                socket.Dispose();
        }

        Engine.RemoveNetdev("d0");
        Assert.False(File.Exists(Path("d0.sock")));
    }

    private static Socket Bind(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { ReceiveTimeout = 10_000 };
        socket.Bind(new UnixDomainSocketEndPoint(path));
        return socket;
    }
}
