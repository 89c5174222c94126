using ExportPS.Engine.Block;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using Xunit;
using static ExportPS.Engine.Tests.Block.TestNodes;

namespace ExportPS.Engine.Tests.Block;

public sealed class FileBlockDriverTests : IDisposable
{
    private const int MiB = 1 << 20;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>With discard=unmap, so discards and unmapping write-zeroes reach the driver.</summary>
    private static BlockNode OpenFile(string path, bool readOnly = false, bool direct = false) => Open(new BlockNodeOptions
    {
        NodeName = "file", Driver = BlockDriverKind.File, Path = path, ReadOnly = readOnly, CacheDirect = direct, Discard = BlockDiscardMode.Unmap,
    });

    /// <summary>Blocking preads, through the page cache or not: a read has landed when the call returns.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsCompleteInline(bool direct)
    {
        using var node = OpenFile(_temp.SparseFile(MiB), direct: direct);
        Assert.True(node.ReadsCompleteInline);
    }

    [Fact]
    public void SparseFileIsOneHoleAndReadsZeroes()
    {
        using var node = OpenFile(_temp.SparseFile(4 * MiB));
        Assert.Equal(4 * MiB, node.Size);
        Assert.Equal(0, node.AllocatedBytes);
        Assert.Equal(new BlockStatus(4 * MiB, Data: false, Zero: true, Depth: 0), Status(node, 0, 4 * MiB));
        Assert.Equal(new byte[5000], Read(node, 12345, 5000));
    }

    [Fact]
    public void WritesLandInTheFileAndShowAsData()
    {
        string path = _temp.SparseFile(4 * MiB);
        var data = Pattern(MiB, 1);
        using (var node = OpenFile(path))
        {
            Write(node, MiB, data);
            Flush(node);
            Assert.Equal(data, Read(node, MiB, MiB));
            Assert.Equal(new BlockStatus(MiB, Data: false, Zero: true, Depth: 0), Status(node, 0, 4 * MiB));
            Assert.Equal(new BlockStatus(MiB, Data: true, Zero: false, Depth: 1), Status(node, MiB, 3 * MiB));
            Assert.Equal(new BlockStatus(2 * MiB, Data: false, Zero: true, Depth: 0), Status(node, 2 * MiB, 2 * MiB));
            Assert.True(node.AllocatedBytes >= MiB);
        }

        Assert.Equal(data, File.ReadAllBytes(path).AsSpan(MiB, MiB).ToArray());
    }

    [Fact]
    public async Task ForceUnitAccessWriteAndFlushSucceed()
    {
        using var node = OpenFile(_temp.SparseFile(MiB));
        await node.WriteAsync(0, Pattern(4096, 2), forceUnitAccess: true);
        await node.FlushAsync();
        Assert.Equal(Pattern(4096, 2), Read(node, 0, 4096));
    }

    [Fact]
    public void DiscardPunchesAHole()
    {
        using var node = OpenFile(_temp.SparseFile(4 * MiB));
        Write(node, 0, Pattern(4 * MiB, 3));
        long before = node.AllocatedBytes;
        Discard(node, MiB, 2 * MiB);
        Assert.Equal(before - 2 * MiB, node.AllocatedBytes);
        Assert.Equal(new BlockStatus(2 * MiB, Data: false, Zero: true, Depth: 0), Status(node, MiB, 3 * MiB));
        Assert.Equal(new byte[2 * MiB], Read(node, MiB, 2 * MiB));
        Assert.Equal(Pattern(4 * MiB, 3).AsSpan(3 * MiB).ToArray(), Read(node, 3 * MiB, MiB));
    }

    [Fact]
    public void WriteZeroesPunchesWhenMayUnmapAndKeepsAllocationOtherwise()
    {
        using var node = OpenFile(_temp.SparseFile(4 * MiB));
        Write(node, 0, Pattern(4 * MiB, 4));
        long before = node.AllocatedBytes;

        Zero(node, 100, MiB, WriteZeroesFlags.FastOnly);
        Assert.Equal(before, node.AllocatedBytes);
        Assert.Equal(new byte[MiB], Read(node, 100, MiB));
        var data = Pattern(4 * MiB, 4);
        Assert.Equal(data.AsSpan(0, 100).ToArray(), Read(node, 0, 100));
        Assert.Equal(data.AsSpan(MiB + 100, 1000).ToArray(), Read(node, MiB + 100, 1000));

        Zero(node, 2 * MiB, 2 * MiB, WriteZeroesFlags.MayUnmap | WriteZeroesFlags.FastOnly);
        Assert.Equal(before - 2 * MiB, node.AllocatedBytes);
        Assert.Equal(new BlockStatus(2 * MiB, Data: false, Zero: true, Depth: 0), Status(node, 2 * MiB, 2 * MiB));
    }

    [Fact]
    public void ReadOnlyNodeRefusesWrites()
    {
        string path = _temp.SparseFile(MiB);
        using var node = OpenFile(path, readOnly: true);
        var error = Assert.Throws<BlockIoException>(() => Write(node, 0, [1]));
        Assert.Equal(BlockError.ReadOnly, error.Error);
        Assert.Throws<BlockIoException>(() => Discard(node, 0, 4096));
        Assert.Throws<BlockIoException>(() => Zero(node, 0, 4096));
        Assert.Equal(new byte[4], Read(node, 0, 4));
    }

    [Fact]
    public void MissingFileIsAClearError()
    {
        string path = Path.Combine(_temp.Path, "missing.img");
        var error = Assert.Throws<EngineException>(() => OpenFile(path));
        Assert.Equal(ErrorIds.BlockNodeOpenFailed, error.ErrorId);
        Assert.Equal(EngineErrorCategory.NotFound, error.Category);
        Assert.Equal($"Could not open '{path}': No such file or directory", error.Message);
    }

    [Fact]
    public void DirectoryIsNotARegularFile()
    {
        var error = Assert.Throws<EngineException>(() => OpenFile(_temp.Path));
        Assert.Equal(ErrorIds.BlockNodeOpenFailed, error.ErrorId);
        Assert.Equal($"'file' driver requires '{_temp.Path}' to be a regular file", error.Message);
    }

    [Fact]
    public void MissingPathIsRefused()
    {
        var error = Assert.Throws<EngineException>(() => Open(new BlockNodeOptions { NodeName = "f", Driver = BlockDriverKind.File }));
        Assert.Equal(ErrorIds.InvalidBlockNodeOptions, error.ErrorId);
    }

    [Fact]
    public void DirectIoHandlesUnalignedRequestsThroughBounceBuffers()
    {
        string path = _temp.SparseFile(4 * MiB);
        var model = new byte[4 * MiB];
        using (var node = OpenFile(path, direct: true))
        {
            var aligned = Pattern(64 * 1024, 5);
            Write(node, 64 * 1024, aligned);
            aligned.CopyTo(model, 64 * 1024);

            // Unaligned offset and length, and a span that straddles the 1 MiB bounce window.
            var odd = Pattern(MiB + 3333, 6);
            Write(node, 70001, odd);
            odd.CopyTo(model, 70001);

            Assert.Equal(model, Read(node, 0, 4 * MiB));
            Assert.Equal(model.AsSpan(12345, 777).ToArray(), Read(node, 12345, 777));
        }

        Assert.Equal(model, File.ReadAllBytes(path));
    }

    [Fact]
    public void DirectIoRefusesWritableImageOfUnalignedSize()
    {
        var error = Assert.Throws<EngineException>(() => OpenFile(_temp.SparseFile(MiB + 100), direct: true));
        Assert.Equal(ErrorIds.BlockNodeOpenFailed, error.ErrorId);
        using var readOnly = OpenFile(_temp.SparseFile(MiB + 100, "odd.img"), readOnly: true, direct: true);
        Assert.Equal(new byte[200], Read(readOnly, MiB - 100, 200));
    }

    [Fact]
    public void OutOfRangeRequestsAreRefusedCentrally()
    {
        using var node = OpenFile(_temp.SparseFile(MiB));
        Assert.Equal(BlockError.InvalidArgument, Assert.Throws<BlockIoException>(() => Read(node, MiB - 10, 11)).Error);
        Assert.Equal(BlockError.InvalidArgument, Assert.Throws<BlockIoException>(() => Write(node, -1, [1])).Error);
        Assert.Equal(BlockError.InvalidArgument, Assert.Throws<BlockIoException>(() => Discard(node, MiB, 1)).Error);
        Assert.Equal(MiB, new FileInfo(Path.Combine(_temp.Path, "disk.img")).Length);
    }
}
