using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Xunit;

namespace ExportPS.Host.Tests;

/// <summary>
/// The built host executable against real clients: started with qemu-storage-daemon's options, probed with nbdinfo
/// --json (and qemu-io for data), stopped with SIGTERM or SIGINT, which must end it cleanly with exit code 0.
/// </summary>
public sealed class HostEndToEndTests : IDisposable
{
    private readonly TempDirectory _directory = new("exportps-host-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Without_arguments_serves_a_writable_1GiB_memory_disk_on_the_NBD_port()
    {
        Assert.True(PortIsFree(10809), "127.0.0.1:10809 is taken by another process; the default configuration needs it");
        using var host = HostProcess.Start();
        host.WaitForTcp(10809);

        var info = NbdInfo("nbd://127.0.0.1:10809/disk0");
        var byDefaultName = NbdInfo("nbd://127.0.0.1");

        Assert.Equal(0, host.Stop());
        Assert.Equal("disk0", info.GetProperty("export-name").GetString());
        Assert.Equal(1L << 30, info.GetProperty("export-size").GetInt64());
        Assert.False(info.GetProperty("is_read_only").GetBoolean());
        Assert.Equal(1L << 30, byDefaultName.GetProperty("export-size").GetInt64());
        Assert.Contains("nbd://127.0.0.1:10809/disk0", host.Output);
        Assert.Equal(string.Empty, host.Error);
    }

    [Fact]
    public void File_image_over_a_unix_socket_keeps_what_a_client_wrote()
    {
        string image = _directory.File("disk.img");
        using (var file = File.Create(image))
        {
            file.SetLength(8 << 20);
        }

        string socket = _directory.File("nbd.sock");
        using var host = HostProcess.Start(
            "--blockdev", $"driver=file,node-name=img,filename={image.Replace(",", ",,")}",
            "--nbd-server", $"addr.type=unix,addr.path={socket}",
            "--export", "type=nbd,id=exp,node-name=img,name=disk,writable=on,description=test image");
        host.WaitForUnix(socket);

        var info = NbdInfo($"nbd+unix:///disk?socket={socket}");
        Run(Peer.QemuIo, "-f", "raw", "-c", "write -P 0xa5 4096 65536", "-c", "flush", $"nbd+unix:///disk?socket={socket}");

        Assert.Equal(0, host.Stop());
        Assert.Equal(8L << 20, info.GetProperty("export-size").GetInt64());
        Assert.Equal("test image", info.GetProperty("description").GetString());
        Assert.False(info.GetProperty("is_read_only").GetBoolean());
        byte[] data = File.ReadAllBytes(image);
        Assert.All(data.AsSpan(4096, 65536).ToArray(), b => Assert.Equal(0xa5, b));
        Assert.All(data.AsSpan(0, 4096).ToArray(), b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // started in the background by a script: QEMU's daemons stop on SIGINT all the same
    public void JSON_options_read_only_export_on_TCP_stops_on_SIGINT(bool sigIntIgnoredAtStart)
    {
        int port = FreePort();
        using var host = HostProcess.StartWithSigInt(sigIntIgnoredAtStart,
            "--object", "iothread,id=io0",
            "--blockdev", """{"driver":"memory","node-name":"mem","size":16777216,"read-only":true}""",
            "--nbd-server", $$"""{"addr":{"type":"inet","host":"127.0.0.1","port":"{{port}}"},"max-connections":4}""",
            "--export", """{"type":"nbd","id":"exp","node-name":"mem","iothread":"io0"}""");
        host.WaitForTcp(port);

        var info = NbdInfo($"nbd://127.0.0.1:{port}/mem");

        Assert.Equal(0, host.Stop(interrupt: true));
        Assert.Equal(16L << 20, info.GetProperty("export-size").GetInt64());
        Assert.True(info.GetProperty("is_read_only").GetBoolean());
    }

    [Fact]
    public void SIGTERM_with_a_client_still_connected_drops_it_and_exits_0()
    {
        using var host = StartNullExport(out string socket);
        using var client = ConnectUnix(socket);
        var greeting = new byte[18]; // NBDMAGIC, IHAVEOPT, handshake flags: the server has taken the client on
        for (int read = 0; read < greeting.Length;)
        {
            int n = client.Receive(greeting, read, greeting.Length - read, SocketFlags.None);
            Assert.True(n > 0, "the server closed the connection during its greeting");
            read += n;
        }

        Assert.Equal("NBDMAGIC"u8.ToArray(), greeting[..8]);

        var stopwatch = Stopwatch.StartNew();
        Assert.Equal(0, host.Stop());
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"stopping took {stopwatch.Elapsed}");
        Assert.Equal(0, client.Receive(new byte[1024], SocketFlags.None)); // closed by the server, not left hanging
    }

    [Fact]
    public void A_client_dropped_on_a_protocol_error_is_reported_on_stderr_and_a_probe_is_not()
    {
        using var host = StartNullExport(out string socket); // waiting for it probes: connects and closes
        using (var client = ConnectUnix(socket))
        {
            client.Send([0, 0, 0, 3]); // client flags
            client.Send(new byte[16]); // an option header with magic 0
            var buffer = new byte[64];
            while (client.Receive(buffer) > 0)
            {
                // the greeting, then the server closes
            }
        }

        Assert.Equal(0, host.Stop());
        Assert.Equal("exportps-host: NBD client unix socket dropped: bad option magic 0x0000000000000000\n", host.Error);
    }

    /// <summary>A host serving a 1 MiB null-co export on a unix socket in the test directory, started and waited for.</summary>
    private HostProcess StartNullExport(out string socket)
    {
        socket = _directory.File("nbd.sock");
        var host = HostProcess.Start(
            "--blockdev", "driver=null-co,node-name=n,size=1M",
            "--nbd-server", $"addr.type=unix,addr.path={socket}",
            "--export", "type=nbd,id=exp,node-name=n");
        host.WaitForUnix(socket);
        return host;
    }

    private static Socket ConnectUnix(string path)
    {
        var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 10_000 };
        client.Connect(new UnixDomainSocketEndPoint(path));
        return client;
    }

    [Fact]
    public void A_refused_option_exits_1_with_one_line_on_stderr()
    {
        using var host = HostProcess.Start("--blockdev", "driver=null-co,node-name=n", "--blockdev", "driver=file");

        Assert.Equal(1, host.WaitForExit());
        Assert.Equal("exportps-host: --blockdev driver=file: Parameter 'filename' is missing\n", host.Error);
        Assert.Equal(string.Empty, host.Output);
    }

    [Fact]
    public void A_missing_image_exits_1_naming_the_file()
    {
        string missing = _directory.File("missing.img");
        using var host = HostProcess.Start("--blockdev", $"driver=file,node-name=img,filename={missing}");

        Assert.Equal(1, host.WaitForExit());
        Assert.StartsWith($"exportps-host: --blockdev driver=file,node-name=img,filename={missing}: ", host.Error);
        Assert.Contains(missing, host.Error[host.Error.IndexOf(": ", StringComparison.Ordinal)..]);
        Assert.Single(host.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static JsonElement NbdInfo(string uri)
    {
        string json = Run(Peer.NbdInfo, "--json", uri);
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("exports")[0].Clone();
    }

    /// <summary>Runs a peer to completion (bounded) and returns its stdout; a non-zero exit fails the test with its stderr.</summary>
    private static string Run(string file, params string[] args) =>
        PeerProcess.Run(file, args, TimeSpan.FromSeconds(30)).Check($"{file} {string.Join(' ', args)}").Stdout;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool PortIsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
