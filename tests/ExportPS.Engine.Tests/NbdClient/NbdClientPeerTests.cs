using System.Diagnostics;
using ExportPS.Engine.Block;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Tests.Block;
using Xunit;

namespace ExportPS.Engine.Tests.NbdClient;

/// <summary>The nbd driver against real servers: qemu-nbd, nbdkit (with its error, delay and blocksize-policy filters) and nbd-server.</summary>
public sealed class NbdClientPeerTests : IDisposable
{
    private const long ImageSize = 16L << 20;

    private readonly TempDirectory _directory = new("eps-nbdc-");
    private readonly ExportEngine _engine = new();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task QemuNbdImageReadsWritesAndReportsItsHoles(bool unix)
    {
        string image = SparseImageWithData(out var data);
        using var peer = PeerNbdServer.QemuNbd(_directory, image, unix);
        var node = Add(peer.NodeOptions());

        Assert.Equal(data, TestNodes.Read(node, 1 << 20, data.Length));
        var hole = await node.GetBlockStatusAsync(0, 1 << 20);
        Assert.False(hole.Data);
        Assert.True(hole.Zero);
        var written = await node.GetBlockStatusAsync(1 << 20, data.Length);
        Assert.True(written.Data);
        Assert.Equal(data.Length, written.Length);

        var more = TestNodes.Pattern(200_000, seed: 9);
        await node.WriteAsync(8 << 20, more, forceUnitAccess: true);
        await node.WriteZeroesAsync(1 << 20, 4096);
        await node.FlushAsync();
        var file = File.ReadAllBytes(image);
        Assert.Equal(more, file.AsSpan(8 << 20, more.Length).ToArray());
        Assert.All(file.AsSpan(1 << 20, 4096).ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void ReadOnlyExportMakesAReadOnlyNode()
    {
        using var peer = PeerNbdServer.QemuNbd(_directory, SparseImageWithData(out _), readOnly: true);
        var info = _engine.AddBlockNode(peer.NodeOptions());
        Assert.True(info.ReadOnly);
        var error = Assert.Throws<BlockIoException>(() => _engine.Graph.GetNode("remote").WriteAsync(0, new byte[512]).AsTask().GetAwaiter().GetResult());
        Assert.Equal(BlockError.ReadOnly, error.Error);
    }

    [Fact]
    public void MissingExportFailsTheOpenWithTheReason()
    {
        using var peer = PeerNbdServer.QemuNbd(_directory, SparseImageWithData(out _));
        var error = Assert.Throws<EngineException>(() => _engine.AddBlockNode(peer.NodeOptions() with { Export = "nope" }));
        Assert.Equal(ErrorIds.BlockNodeOpenFailed, error.ErrorId);
        Assert.Contains("Requested export 'nope' not available", error.Message);
        Assert.Empty(_engine.GetBlockNodes());
    }

    [Fact]
    public void NoServerFailsTheOpenAfterOpenTimeout()
    {
        var options = RemoteNode.Options(SocketAddressOptions.Unix(_directory.File("absent.sock")), "x") with { OpenTimeout = 1 };
        var clock = Stopwatch.StartNew();
        var error = Assert.Throws<EngineException>(() => _engine.AddBlockNode(options));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
        Assert.StartsWith($"Failed to connect to 'unix:{_directory.File("absent.sock")}'", error.Message);
    }

    /// <summary>
    /// One nbdkit for everything nbdkit shows: a second nbdkit started by the same test process (1.32.5) sees its quit
    /// flag raised while it serves, so the memory plugin, the minimum block size, pipelining and server errors share one.
    /// </summary>
    [Fact]
    public async Task NbdkitMemoryWithFiltersRoundTripsPipelinesAndReportsErrors()
    {
        using var peer = PeerNbdServer.NbdkitServer(_directory, true,
            "--filter=blocksize-policy", "--filter=error", "--filter=delay", "memory", "size=16M",
            "blocksize-minimum=512", "blocksize-preferred=4096", "blocksize-maximum=65536", "blocksize-error-policy=error",
            "error-trim=EIO", "error-trim-rate=100%", "rdelay=200ms");
        var node = Add(peer.NodeOptions() with { Discard = BlockDiscardMode.Unmap });
        Assert.Equal(4096, node.AllocationGranularity);

        // Unaligned, and larger than the 64 KiB maximum: read-modify-write at the ends, split in the middle.
        var data = TestNodes.Pattern(300_001, seed: 5);
        await node.WriteAsync(1001, data);
        await node.WriteZeroesAsync(100_000, 70_000, WriteZeroesFlags.MayUnmap);
        Array.Clear(data, 100_000 - 1001, 70_000);
        Assert.Equal(data, TestNodes.Read(node, 1001, data.Length));

        // 32 reads of 200 ms each, one at a time, would take 6.4 s.
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 32).Select(i => node.ReadAsync(i * 65536L, new byte[65536]).AsTask()));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"32 delayed reads took {clock.Elapsed}");

        var error = await Assert.ThrowsAsync<BlockIoException>(() => node.DiscardAsync(0, 1 << 20).AsTask());
        Assert.Equal(BlockError.Io, error.Error);
        Assert.Equal(NbdConnectionState.Connected, _engine.GetBlockNodes().Single().ConnectionState);
        Assert.Equal(data, TestNodes.Read(node, 1001, data.Length));
    }

    [Fact]
    public async Task NbdServerExportRoundTrips()
    {
        string image = SparseImageWithData(out var data);
        using var peer = PeerNbdServer.NbdServerOf(_directory, image);
        var node = Add(peer.NodeOptions());
        Assert.Equal(data, TestNodes.Read(node, 1 << 20, data.Length));
        var more = TestNodes.Pattern(100_000, seed: 6);
        await node.WriteAsync(3 << 20, more, forceUnitAccess: true);
        await node.FlushAsync();
        Assert.Equal(more, File.ReadAllBytes(image).AsSpan(3 << 20, more.Length).ToArray());
    }

    private BlockNode Add(BlockNodeOptions options)
    {
        _engine.AddBlockNode(options);
        return _engine.Graph.GetNode(options.NodeName);
    }

    /// <summary>A sparse image of <see cref="ImageSize"/> with 192 KiB of data at 1 MiB.</summary>
    private string SparseImageWithData(out byte[] data)
    {
        string image = _directory.SparseFile(ImageSize);
        data = TestNodes.Pattern(192 << 10, seed: 2);
        using var stream = File.OpenWrite(image);
        stream.Position = 1 << 20;
        stream.Write(data);
        return image;
    }

    public void Dispose()
    {
        _engine.Dispose();
        _directory.Dispose();
    }
}
