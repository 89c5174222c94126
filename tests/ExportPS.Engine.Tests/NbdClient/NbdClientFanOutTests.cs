using ExportPS.Engine.Model;
using ExportPS.Engine.Tests.Block;
using Xunit;

namespace ExportPS.Engine.Tests.NbdClient;

/// <summary>
/// Copy-on-write fan-out: one golden image served by nbdkit's file plugin, three engines (three hosts of a fleet) each
/// opening it over NBD as the backing node of a local overlay and exporting the overlay again, each written differently
/// by qemu-io. Every re-export reads its own writes and the golden content elsewhere; the golden file never changes.
/// </summary>
public sealed class NbdClientFanOutTests : IDisposable
{
    private const int ImageSize = 8 << 20;
    private const int Hosts = 3;

    private readonly TempDirectory _directory = new("eps-nbdf-");
    private readonly List<ExportEngine> _engines = [];

    [Fact]
    public async Task ThreeOverlaysOverOneGoldenImageKeepTheirOwnWrites()
    {
        var golden = TestNodes.Pattern(ImageSize, seed: 31);
        string image = _directory.File("golden.img");
        File.WriteAllBytes(image, golden);

        // Writable, so a write that leaked through an overlay to its backing node would reach the file.
        using var nbdkit = PeerNbdServer.NbdkitServer(_directory, true, "file", image);
        var uris = Enumerable.Range(0, Hosts).Select(h => ReExportOverlay(nbdkit, h)).ToArray();

        // Host h writes the byte 0xa0+h over 64 KiB at (h+1) MiB and 4 KiB in its last MiB, all hosts at once.
        await Task.WhenAll(Enumerable.Range(0, Hosts).Select(h => Task.Run(() =>
            PeerProcess.Run(Peer.QemuIo, ["-f", "raw", "-c", $"write -P {0xa0 + h} {h + 1}M 64k", "-c", $"write -P {0xa0 + h} {ImageSize - (h + 1) * 4096} 4k", uris[h]])
                .Check($"qemu-io write on host {h}"))));

        for (int h = 0; h < Hosts; h++)
        {
            var expected = (byte[])golden.Clone();
            expected.AsSpan((h + 1) << 20, 64 << 10).Fill((byte)(0xa0 + h));
            expected.AsSpan(ImageSize - (h + 1) * 4096, 4096).Fill((byte)(0xa0 + h));
            string copy = _directory.File($"host{h}.img");
            PeerProcess.Run(Peer.NbdCopy, [uris[h], copy]).Check($"nbdcopy from host {h}");
            Assert.True(expected.AsSpan().SequenceEqual(File.ReadAllBytes(copy)), $"host {h}'s re-export differs from golden plus its own writes");
        }

        Assert.True(golden.AsSpan().SequenceEqual(File.ReadAllBytes(image)), "the golden image changed");
        Assert.All(_engines, engine => Assert.Equal(NbdConnectionState.Connected, engine.GetBlockNodes().Single(n => n.NodeName == "golden").ConnectionState));
    }

    /// <summary>A new engine with the golden image as node "golden", a memory overlay on it, and the overlay exported writable on a unix socket.</summary>
    private string ReExportOverlay(PeerNbdServer golden, int host)
    {
        var engine = new ExportEngine();
        _engines.Add(engine);
        engine.AddBlockNode(golden.NodeOptions("golden"));
        engine.AddBlockNode(new BlockNodeOptions { NodeName = "overlay", Driver = BlockDriverKind.Memory, Size = ImageSize, Backing = "golden" });
        string socket = _directory.File($"host{host}.sock");
        engine.StartNbdServer(new NbdServerOptions { Address = SocketAddressOptions.Unix(socket) });
        engine.AddBlockExport(new BlockExportOptions { Id = "re", NodeName = "overlay", Writable = true, Nbd = new NbdExportOptions { Name = "re" } });
        return $"nbd+unix:///re?socket={socket}";
    }

    public void Dispose()
    {
        foreach (var engine in _engines)
        {
            engine.Dispose();
        }

        _directory.Dispose();
    }
}
