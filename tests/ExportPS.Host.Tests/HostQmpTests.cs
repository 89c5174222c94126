using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qmp;
using ExportPS.Host;
using Xunit;

namespace ExportPS.Host.Tests;

/// <summary>The host's --chardev/--monitor options: QMP served by exportps-host, in process and as a real process.</summary>
public sealed class HostQmpTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static (int Code, string Error) RunHost(params string[] args)
    {
        var error = new StringWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int code = HostRunner.Run(args, new StringWriter(), error, stop.Token);
        return (code, error.ToString());
    }

    [Fact]
    public async Task A_host_with_a_monitor_serves_QMP_and_exits_0_on_quit()
    {
        string qmp = _dir.File("host.qmp");
        // Options run in order: the monitor comes last so that its socket appearing means everything else is in place.
        var host = Task.Run(() => RunHost(
            "--blockdev", "null-co,node-name=n0,size=1M",
            "--nbd-server", $"addr.type=unix,addr.path={_dir.File("nbd.sock")}",
            "--export", "nbd,id=e0,node-name=n0",
            "--chardev", $"socket,id=m0,path={qmp},server=on,wait=off",
            "--monitor", "m0"));

        using (var engine = ConnectWhenReady(qmp, host))
        {
            Assert.Equal(["n0"], engine.GetBlockNodes().Select(n => n.NodeName));
            Assert.Equal(["e0"], engine.GetBlockExports().Select(e => e.Id));
            engine.AddBlockNode(new BlockNodeOptions { NodeName = "m1", Driver = BlockDriverKind.Memory, Size = 65536 });
            using var client = RawQmpConnection.OpenNegotiated(qmp);
            Assert.True(client.Execute("""{"execute":"quit"}""").TryGetProperty("return", out _));
        }

        var finished = await Task.WhenAny(host, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.True(finished == host, "the host did not exit within 10 s of quit");
        var (code, error) = await host;
        Assert.Equal((0, string.Empty), (code, error));
        Assert.False(File.Exists(qmp), "the monitor socket outlived the host");
    }

    [Theory]
    [InlineData("--monitor m0", "chardev \"m0\" not found")]
    [InlineData("--chardev socket,id=m0,path={DIR}/a.qmp,server=on,wait=off --monitor m0,mode=readline", "Only QMP is supported")]
    [InlineData("--chardev socket,id=m0,path={DIR}/a.qmp,server=on,wait=off --monitor m0 --monitor chardev=m0", "Device 'm0' is in use")]
    [InlineData("--chardev socket,path={DIR}/a.qmp,server=on,wait=off", "chardev: no id specified")]
    [InlineData("--chardev socket,id=m0,path={DIR}/a.qmp,server=on,wait=on", "chardev: ExportPS never waits for a first client: give wait=off")]
    [InlineData("--chardev socket,id=m0,path={DIR}/a.qmp,server=off", "chardev: ExportPS only listens: give server=on")]
    [InlineData("--chardev file,id=m0,path={DIR}/f", "chardev backend 'file' is not supported: ExportPS serves monitors on 'socket' chardevs")]
    [InlineData("--chardev socket,id=m0,path={DIR}/a.qmp,server=on,wait=off,bogus=1", "Parameter 'bogus' is unexpected")]
    public void Bad_monitor_options_fail_with_one_line_and_exit_1(string commandLine, string message)
    {
        var args = commandLine.Replace("{DIR}", _dir.Path, StringComparison.Ordinal).Split(' ');
        var (code, error) = RunHost(args);
        Assert.Equal(1, code);
        Assert.EndsWith($": {message}{Environment.NewLine}", error);
    }

    [Fact]
    public void The_exportps_host_process_is_driven_over_QMP_and_quits_cleanly()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "exportps-host.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: the test project must reference ExportPS.Host");
        string qmp = _dir.File("p.qmp");
        using var host = HostProcess.Start("--chardev", $"socket,id=m,path={qmp},server=on,wait=off", "--monitor", "chardev=m");
        using (var engine = ConnectWhenReady(qmp, null, host))
        {
            engine.AddBlockNode(new BlockNodeOptions { NodeName = "n0", Driver = BlockDriverKind.Null, Size = 4096 });
            engine.StartNbdServer(new NbdServerOptions { Address = SocketAddressOptions.Inet("127.0.0.1", 0) });
            var export = engine.AddBlockExport(new BlockExportOptions { Id = "e0", NodeName = "n0" });
            Assert.Equal("n0", Assert.IsType<NbdExportDetails>(export.Details).Name);
            Assert.NotEqual(0, engine.GetNbdServer().Port);
            engine.RemoveBlockExport("e0", BlockExportRemoveMode.Hard);
            Assert.True(engine.WaitForExportDeleted("e0", TimeSpan.FromSeconds(10), CancellationToken.None));
            var e = Assert.Throws<EngineException>(() => engine.RemoveBlockNode("nope"));
            Assert.Equal(ErrorIds.BlockNodeNotFound, e.ErrorId);
            using var client = RawQmpConnection.OpenNegotiated(qmp);
            client.Execute("""{"execute":"quit"}""");
        }

        Assert.Equal(0, host.WaitForExit(TimeSpan.FromSeconds(10)));
    }

    private static QmpExportEngine ConnectWhenReady(string socketPath, Task? host, HostProcess? process = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            Assert.False(host?.IsCompleted ?? false, $"the host exited early: {(host?.IsCompleted == true ? host : null)}");
            Assert.False(process?.HasExited ?? false, "exportps-host exited early");
            if (File.Exists(socketPath))
            {
                return QmpMonitor.ConnectOnceListening(socketPath);
            }

            Assert.True(DateTime.UtcNow < deadline, "the host's monitor socket did not appear within 20 s");
            Thread.Sleep(20);
        }
    }
}
