using System.Text.Json;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Tests.Block;
using Xunit;

namespace ExportPS.Engine.Tests.NbdClient;

/// <summary>
/// An nbd node exported again by ExportPS's own NBD server, seen by libnbd's tools, and ExportPS's server as the
/// remote, over TLS with the certificate checked, and under a local overlay.
/// </summary>
public sealed class NbdClientReExportTests : IDisposable
{
    private readonly TempDirectory _directory = new("eps-nbdx-");
    private readonly ExportEngine _engine = new();

    [Fact]
    public void HolesOfASparseRemoteImageShowThroughTheReExportAndDataRoundTrips()
    {
        string image = _directory.SparseFile(16 << 20);
        var data = TestNodes.Pattern(1 << 20, seed: 21);
        using (var stream = File.OpenWrite(image))
        {
            stream.Position = 4 << 20;
            stream.Write(data);
        }

        using var peer = PeerNbdServer.QemuNbd(_directory, image);
        _engine.AddBlockNode(peer.NodeOptions());
        string uri = ReExport("remote");

        var map = PeerProcess.Run(Peer.NbdInfo, ["--map", "--json", uri]).Check("nbdinfo --map");
        using var extents = JsonDocument.Parse(map.Stdout);
        var runs = extents.RootElement.EnumerateArray()
            .Select(e => (Offset: e.GetProperty("offset").GetInt64(), Length: e.GetProperty("length").GetInt64(), Hole: (e.GetProperty("type").GetInt32() & 1) != 0))
            .ToArray();
        Assert.Contains(runs, r => r.Hole && r.Offset == 0 && r.Length == 4 << 20);
        Assert.Contains(runs, r => !r.Hole && r.Offset == 4 << 20 && r.Length == 1 << 20);

        string source = _directory.File("source.img");
        File.WriteAllBytes(source, TestNodes.Pattern(16 << 20, seed: 22));
        PeerProcess.Run(Peer.NbdCopy, [source, uri]).Check("nbdcopy to the re-export");
        PeerProcess.Run(Peer.QemuIo, ["-f", "raw", "-c", "write -P 0x5a 1M 64k", uri]).Check("qemu-io write");
        var expected = File.ReadAllBytes(source);
        expected.AsSpan(1 << 20, 64 << 10).Fill(0x5a);
        Assert.Equal(expected, File.ReadAllBytes(image));
    }

    [Fact]
    public void CacheRequestsToTheReExportReachTheRemoteServer()
    {
        string image = _directory.SparseFile(4 << 20);
        string log = _directory.File("nbdkit.log");
        using var nbdkit = PeerNbdServer.NbdkitServer(_directory, true, "--filter=log", "file", image, $"logfile={log}");
        _engine.AddBlockNode(nbdkit.NodeOptions());
        string uri = ReExport("remote");

        PeerProcess.Run(Peer.Python3, ["-c", $"import nbd; h = nbd.NBD(); h.connect_uri('{uri}'); h.cache(65536, 1048576); h.shutdown()"]).Check("libnbd cache");
        Assert.Contains(File.ReadLines(log), line => line.Contains(" Cache ", StringComparison.Ordinal)
            && line.Contains("offset=0x100000", StringComparison.Ordinal) && line.Contains("count=0x10000", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TlsConnectionChecksTheServerCertificateAgainstTheCa()
    {
        using var server = NbdTestServer.WithTls(unix: false);
        _engine.AddTlsCreds(new TlsCredsOptions { Id = "tlsc", Dir = server.ClientDir("client.example.com"), Endpoint = TlsCredsEndpoint.Client });
        var info = _engine.AddBlockNode(RemoteNode.Options(server) with { TlsCreds = "tlsc" });
        Assert.Equal(NbdTestServer.TlsSize, info.Size);
        var node = _engine.Graph.GetNode("remote");
        var data = TestNodes.Pattern(200_000, seed: 23);
        await node.WriteAsync(4096, data);
        Assert.Equal(data, TestNodes.Read(server.Engine.Graph.GetNode("disk"), 4096, data.Length));

        // The credentials are in use while the node lives.
        Assert.Throws<EngineException>(() => _engine.RemoveObject("tlsc"));

        var wrongName = Assert.Throws<EngineException>(() => _engine.AddBlockNode(RemoteNode.Options(server, nodeName: "other") with
        {
            TlsCreds = "tlsc", TlsHostname = "elsewhere.example.com",
        }));
        Assert.Contains("does not match the hostname elsewhere.example.com", wrongName.Message);

        var otherCa = TestPki.CreateCa("Other CA");
        _engine.AddTlsCreds(new TlsCredsOptions { Id = "stranger", Dir = server.Pki.ClientDir(otherCa, TestPki.Client(otherCa), "stranger"), Endpoint = TlsCredsEndpoint.Client });
        var untrusted = Assert.Throws<EngineException>(() => _engine.AddBlockNode(RemoteNode.Options(server, nodeName: "other") with { TlsCreds = "stranger" }));
        Assert.Contains("hasn't got a known issuer", untrusted.Message);

        var plain = Assert.Throws<EngineException>(() => _engine.AddBlockNode(RemoteNode.Options(server, nodeName: "other")));
        Assert.Contains("requires TLS", plain.Message);
    }

    [Fact]
    public async Task OverlayKeepsItsWritesAndReadsTheRestFromTheRemoteImage()
    {
        using var server = new NbdTestServer(size: 4 << 20, writable: false);
        var golden = TestNodes.Pattern(4 << 20, seed: 24);
        await server.Engine.Graph.GetNode("disk").WriteAsync(0, golden);
        var remote = _engine.AddBlockNode(RemoteNode.Options(server));
        Assert.True(remote.ReadOnly);

        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "overlay", Driver = BlockDriverKind.Memory, Size = 4 << 20, Backing = "remote" });
        var overlay = _engine.Graph.GetNode("overlay");
        var mine = TestNodes.Pattern(10_000, seed: 25);
        await overlay.WriteAsync(100_000, mine);

        var expected = (byte[])golden.Clone();
        mine.CopyTo(expected, 100_000);
        Assert.Equal(expected, TestNodes.Read(overlay, 0, expected.Length));
        Assert.Equal(golden, TestNodes.Read(server.Engine.Graph.GetNode("disk"), 0, golden.Length));
        var status = await overlay.GetBlockStatusAsync(0, 100_000);
        Assert.Equal(2, status.Depth);
    }

    /// <summary>Starts this engine's NBD server on a unix socket and exports <paramref name="nodeName"/> writable as "re".</summary>
    private string ReExport(string nodeName)
    {
        string socket = _directory.File("re.sock");
        _engine.StartNbdServer(new NbdServerOptions { Address = SocketAddressOptions.Unix(socket) });
        _engine.AddBlockExport(new BlockExportOptions { Id = "re", NodeName = nodeName, Writable = true, Nbd = new NbdExportOptions { Name = "re" } });
        return $"nbd+unix:///re?socket={socket}";
    }

    public void Dispose()
    {
        _engine.Dispose();
        _directory.Dispose();
    }
}
