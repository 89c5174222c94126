using ExportPS.Engine.Block;
using ExportPS.Engine.Model;
using Xunit;

namespace ExportPS.Engine.Tests.Block;

/// <summary>Resizing a node (a growable FUSE export's truncate): file and raw-over-file nodes resize, others refuse.</summary>
public sealed class BlockNodeTruncateTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly ExportEngine _engine = new();

    public void Dispose()
    {
        _engine.Dispose();
        _directory.Dispose();
    }

    private BlockNode Node(string name) => _engine.Graph.Find(name);

    [Fact]
    public async Task AFileNodeGrowsAndShrinksWithItsFileAndKeepsItsData()
    {
        string path = _directory.SparseFile(1 << 20);
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "f", Driver = BlockDriverKind.File, Path = path });
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "r", Driver = BlockDriverKind.Raw, File = "f" });
        await Node("r").WriteAsync(4096, new byte[] { 1, 2, 3 });

        await Node("r").TruncateAsync(3 << 20);
        Assert.Equal((3L << 20, 3L << 20, 3L << 20), (Node("r").Size, Node("f").Size, new FileInfo(path).Length));
        await Node("r").WriteAsync((3 << 20) - 1, new byte[] { 9 });

        await Node("f").TruncateAsync(8192);
        Assert.Equal((8192L, 8192L), (Node("r").Size, new FileInfo(path).Length));
        var back = new byte[3];
        await Node("r").ReadAsync(4096, back);
        Assert.Equal(new byte[] { 1, 2, 3 }, back);
        Assert.Throws<BlockIoException>(() => { _ = Node("r").ReadAsync(8192, new byte[1]); });
    }

    [Fact]
    public async Task NodesThatCannotResizeRefuse()
    {
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "m", Driver = BlockDriverKind.Memory, Size = 1 << 20 });
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "ro", Driver = BlockDriverKind.File, Path = _directory.SparseFile(4096, "ro.img"), ReadOnly = true });
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "b", Driver = BlockDriverKind.File, Path = _directory.SparseFile(4096, "b.img") });
        _engine.AddDirtyBitmap(new DirtyBitmapOptions { NodeName = "b", Name = "bm" });

        Assert.Equal(BlockError.NotSupported, (await Assert.ThrowsAsync<BlockIoException>(() => Node("m").TruncateAsync(2 << 20).AsTask())).Error);
        Assert.Equal(BlockError.ReadOnly, (await Assert.ThrowsAsync<BlockIoException>(() => Node("ro").TruncateAsync(8192).AsTask())).Error);
        Assert.Equal(BlockError.NotSupported, (await Assert.ThrowsAsync<BlockIoException>(() => Node("b").TruncateAsync(8192).AsTask())).Error);
        Assert.Equal(BlockError.InvalidArgument, (await Assert.ThrowsAsync<BlockIoException>(() => Node("b").TruncateAsync(-1).AsTask())).Error);
        await Node("m").TruncateAsync(1 << 20);
        Assert.Equal(4096, Node("b").Size);
    }
}
