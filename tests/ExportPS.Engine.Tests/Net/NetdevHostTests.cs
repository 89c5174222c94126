using System.Diagnostics;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qmp;
using ExportPS.Engine.Tests.Qmp;
using ExportPS.Host;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

/// <summary>
/// Netdevs from the host's command line, and QmpExportEngine's netdev calls against QEMU 7.2 itself
/// (qemu-system-x86_64 -machine none has the same netdev commands, and no netdev query).
/// </summary>
public sealed class NetdevHostTests : IDisposable
{
    private readonly QmpTestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Connects once the monitor listens (its socket file appears just before).</summary>
    private static QmpExportEngine ConnectWhenListening(string socketPath)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            try
            {
                return QmpExportEngine.Connect(socketPath, TimeSpan.FromSeconds(10));
            }
            catch (EngineException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }

    [Fact]
    public async Task The_host_makes_the_netdevs_of_its_command_line_in_order()
    {
        string qmp = _dir.File("host.qmp");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var host = Task.Run(() => HostRunner.Run(
        [
            "--netdev", $"stream,id=s0,server=on,addr.type=unix,addr.path={_dir.File("s0.sock")}",
            "--netdev", "hubport,id=p0,hubid=0,netdev=s0",
            "--chardev", $"socket,id=m0,path={qmp},server=on,wait=off",
            "--monitor", "m0",
        ], new StringWriter(), new StringWriter(), stop.Token));

        Assert.True(SpinWait.SpinUntil(() => File.Exists(qmp) || host.IsCompleted, TimeSpan.FromSeconds(20)), "the monitor socket did not appear");
        using (var engine = ConnectWhenListening(qmp))
        {
            var netdevs = engine.GetNetdevs();
            Assert.Equal([("s0", "stream", "p0"), ("p0", "hubport", "s0")], netdevs.Select(n => (n.Id, n.Type, n.Peer)));
        }

        stop.Cancel();
        Assert.Equal(0, await host.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void QmpExportEngine_adds_removes_and_sets_the_link_of_QEMUs_netdevs()
    {
        string qmp = _dir.File("qemu.qmp");
        var start = new ProcessStartInfo("/usr/bin/qemu-system-x86_64") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in (string[])["-machine", "none", "-nodefaults", "-display", "none", "-qmp", $"unix:{qmp},server=on,wait=off", "-netdev", "hubport,id=h0,hubid=0"])
            start.ArgumentList.Add(argument);
        using var qemu = Process.Start(start)!;
        try
        {
            Assert.True(SpinWait.SpinUntil(() => File.Exists(qmp) || qemu.HasExited, TimeSpan.FromSeconds(20)), "QEMU's monitor did not appear");
            using var engine = ConnectWhenListening(qmp);

            engine.SetLink("h0", false);
            engine.SetLink("h0", true);
            var added = engine.AddNetdev(new HubportNetdevOptions { Id = "h1", HubId = 0 });
            Assert.Equal(("h1", "hubport"), (added.Id, added.Type));
            Assert.Equal(ErrorIds.NetdevExists, Assert.Throws<EngineException>(() => engine.AddNetdev(new HubportNetdevOptions { Id = "h1", HubId = 1 })).ErrorId);
            engine.RemoveNetdev("h1");
            Assert.Equal(ErrorIds.NetdevNotFound, Assert.Throws<EngineException>(() => engine.RemoveNetdev("h1")).ErrorId);
            Assert.Equal(ErrorIds.NetdevNotFound, Assert.Throws<EngineException>(() => engine.SetLink("nope", false)).ErrorId);
            Assert.Equal(ErrorIds.QmpCommandNotFound, Assert.Throws<EngineException>(() => engine.GetNetdevs()).ErrorId);
        }
        finally
        {
            if (!qemu.HasExited)
                qemu.Kill();
            qemu.WaitForExit(5000);
        }
    }
}
