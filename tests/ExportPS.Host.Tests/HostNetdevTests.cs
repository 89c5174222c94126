using ExportPS.Engine.Qmp;
using Xunit;

namespace ExportPS.Host.Tests;

/// <summary>--netdev options of a host, seen over its QMP monitor.</summary>
public sealed class HostNetdevTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task The_host_makes_the_netdevs_and_captures_of_its_command_line_in_order()
    {
        string qmp = _dir.File("host.qmp");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var host = Task.Run(() => HostRunner.Run(
        [
            "--netdev", $"stream,id=s0,server=on,addr.type=unix,addr.path={_dir.File("s0.sock")}",
            "--netdev", "hubport,id=p0,hubid=0,netdev=s0",
            "--object", $"filter-dump,id=f0,netdev=p0,file={_dir.File("p0.pcap")},maxlen=128",
            "--chardev", $"socket,id=m0,path={qmp},server=on,wait=off",
            "--monitor", "m0",
        ], new StringWriter(), new StringWriter(), stop.Token));

        Assert.True(SpinWait.SpinUntil(() => File.Exists(qmp) || host.IsCompleted, TimeSpan.FromSeconds(20)), "the monitor socket did not appear");
        Assert.False(host.IsCompleted, "the host exited early");
        using (var engine = QmpMonitor.ConnectOnceListening(qmp))
        {
            var netdevs = engine.GetNetdevs();
            Assert.Equal([("s0", "stream", "p0"), ("p0", "hubport", "s0")], netdevs.Select(n => (n.Id, n.Type, n.Peer)));
            var capture = Assert.Single(engine.GetNetCaptures());
            Assert.Equal(("f0", "p0", _dir.File("p0.pcap"), 128), (capture.Id, capture.Netdev, capture.Path, capture.MaxLength));
        }

        stop.Cancel();
        Assert.Equal(0, await host.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_vhost_user_netdev_listens_on_its_chardevs_socket()
    {
        string qmp = _dir.File("host.qmp");
        string socket = _dir.File("v0.sock");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var host = Task.Run(() => HostRunner.Run(
        [
            "--chardev", $"socket,id=c0,path={socket},server=on,wait=off",
            "--netdev", "vhost-user,id=v0,chardev=c0,queues=2",
            "--netdev", "hubport,id=p0,hubid=0,netdev=v0",
            "--chardev", $"socket,id=m0,path={qmp},server=on,wait=off",
            "--monitor", "m0",
        ], new StringWriter(), new StringWriter(), stop.Token));

        Assert.True(SpinWait.SpinUntil(() => File.Exists(qmp) || host.IsCompleted, TimeSpan.FromSeconds(20)), "the monitor socket did not appear");
        Assert.False(host.IsCompleted, "the host exited early");
        using (var engine = QmpMonitor.ConnectOnceListening(qmp))
        {
            var netdev = engine.GetNetdevs().Single(n => n.Id == "v0");
            Assert.Equal(("vhost-user", "p0", false), (netdev.Type, netdev.Peer, netdev.Connected));
            Assert.Equal($"chardev=c0,queues=2,x-socket-path={socket}", netdev.Options);
        }

        Assert.True(File.Exists(socket));
        stop.Cancel();
        Assert.Equal(0, await host.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Theory]
    [InlineData("c9", "chardev \"c9\" not found")]
    [InlineData("m0", "Device 'm0' is in use")]
    public void A_vhost_user_netdev_needs_a_free_chardev(string chardev, string message)
    {
        using var error = new StringWriter();
        using var stopped = new CancellationTokenSource();
        stopped.Cancel();
        int exitCode = HostRunner.Run(
        [
            "--chardev", $"socket,id=m0,path={_dir.File("m0.qmp")},server=on,wait=off",
            "--monitor", "m0",
            "--netdev", $"vhost-user,id=v0,chardev={chardev}",
        ], new StringWriter(), error, stopped.Token);
        Assert.Equal(1, exitCode);
        Assert.Contains(message, error.ToString());
    }
}
