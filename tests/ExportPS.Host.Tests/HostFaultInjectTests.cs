using Xunit;

namespace ExportPS.Host.Tests;

/// <summary>
/// The host takes an x-fault-inject node on its command line; a rule set over its QMP monitor fails an NBD client's
/// reads (python3-libnbd) until it is cleared.
/// </summary>
public sealed class HostFaultInjectTests : IDisposable
{
    private readonly TempDirectory _directory = new("exportps-host-fault-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void A_fault_set_over_QMP_reaches_an_NBD_client_and_clears()
    {
        string socket = _directory.File("nbd.sock");
        string qmp = _directory.File("m.qmp");
        using var host = HostProcess.Start(
            "--blockdev", "driver=memory,node-name=disk,size=1M",
            "--blockdev", "driver=x-fault-inject,node-name=f,file=disk",
            "--chardev", $"socket,id=m,path={qmp},server=on,wait=off", "--monitor", "chardev=m",
            "--nbd-server", $"addr.type=unix,addr.path={socket}",
            "--export", "type=nbd,id=e1,node-name=f,name=f,writable=on");
        host.WaitForUnix(socket);
        host.WaitForUnix(qmp);
        string uri = $"nbd+unix:///f?socket={socket}";

        using (var monitor = RawQmpConnection.OpenNegotiated(qmp))
        {
            var set = monitor.Execute("""{"execute":"x-block-fault-set","arguments":{"node-name":"f","operation":"read","offset":4096,"length":4096}}""");
            Assert.True(set.TryGetProperty("return", out _), set.ToString());
            Assert.Equal(["EIO", "ok 00"], Outcomes(uri, "pread:4096:512", "pread:0:512"));

            var query = monitor.Execute("""{"execute":"x-query-block-faults"}""").GetProperty("return")[0];
            Assert.Equal(("f", "read", "eio", 1), (query.GetProperty("node-name").GetString(), query.GetProperty("operation").GetString(),
                query.GetProperty("errno").GetString(), query.GetProperty("hits").GetInt32()));

            monitor.Execute("""{"execute":"x-block-fault-clear","arguments":{"node-name":"f"}}""");
            Assert.Equal(["ok 00"], Outcomes(uri, "pread:4096:512"));
        }

        Assert.Equal(0, host.Stop());
    }

    private static string[] Outcomes(string uri, params string[] requests) =>
        PeerProcess.Run("/usr/bin/python3", [TestScript.Path("libnbd_io.py"), uri, .. requests], TimeSpan.FromSeconds(30))
            .Check("libnbd_io.py").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => string.Join(' ', line.Split(' ')[1..^1])).ToArray();
}
