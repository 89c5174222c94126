using ExportPS.Engine.Block;
using ExportPS.Engine.Block.Drivers;
using ExportPS.Engine.Model;
using Xunit;
using static ExportPS.Engine.Tests.Block.TestNodes;

namespace ExportPS.Engine.Tests.Block;

/// <summary>A node over a backing node over a base: reads fall through, writes stay on top, depth counts layers.</summary>
public sealed class BackingChainTests : IDisposable
{
    private const int Chunk = MemoryBlockDriver.ChunkSize;
    private readonly BlockNode _base = Memory(8 * Chunk, "base");
    private readonly BlockNode _middle;
    private readonly BlockNode _top;

    public BackingChainTests()
    {
        _middle = Memory(8 * Chunk, "middle", _base);
        _top = Memory(8 * Chunk, "top", _middle);
        Write(_base, 0, Pattern(2 * Chunk, 1));
        Write(_middle, Chunk, Pattern(2 * Chunk, 2));
    }

    public void Dispose()
    {
        _top.Dispose();
        _middle.Dispose();
        _base.Dispose();
    }

    [Fact]
    public void ReadsFallThroughToTheLayerThatHasTheData()
    {
        Assert.Equal(Pattern(2 * Chunk, 1).AsSpan(0, Chunk).ToArray(), Read(_top, 0, Chunk));
        Assert.Equal(Pattern(2 * Chunk, 2), Read(_top, Chunk, 2 * Chunk));
        Assert.Equal(new byte[Chunk], Read(_top, 3 * Chunk, Chunk));
        Assert.Equal(0, _top.AllocatedBytes);
    }

    [Fact]
    public void WritesGoToTheTopOnly()
    {
        var data = Pattern(100, 3);
        Write(_top, 10, data);
        Assert.Equal(data, Read(_top, 10, 100));
        Assert.Equal(Pattern(2 * Chunk, 1).AsSpan(10, 100).ToArray(), Read(_base, 10, 100));
        Assert.Equal(Chunk, _top.AllocatedBytes);
        // The rest of the chunk was copied up, so the bytes around the write still show the base.
        Assert.Equal(Pattern(2 * Chunk, 1).AsSpan(110, Chunk - 110).ToArray(), Read(_top, 110, Chunk - 110));
    }

    [Fact]
    public void DepthCountsTheLayerThatAllocates()
    {
        Assert.Equal(new BlockStatus(Chunk, Data: true, Zero: false, Depth: 3), Status(_top, 0, 8 * Chunk));
        Assert.Equal(new BlockStatus(2 * Chunk, Data: true, Zero: false, Depth: 2), Status(_top, Chunk, 7 * Chunk));
        Assert.Equal(new BlockStatus(5 * Chunk, Data: false, Zero: true, Depth: 0), Status(_top, 3 * Chunk, 5 * Chunk));
        Write(_top, 4 * Chunk, Pattern(Chunk, 4));
        Assert.Equal(new BlockStatus(Chunk, Data: true, Zero: false, Depth: 1), Status(_top, 4 * Chunk, 4 * Chunk));
        Assert.Equal(new BlockStatus(Chunk, Data: true, Zero: false, Depth: 2), Status(_middle, 0, Chunk));
        Assert.Equal(new BlockStatus(Chunk, Data: true, Zero: false, Depth: 1), Status(_middle, Chunk, Chunk));
    }

    [Fact]
    public void DiscardAndMayUnmapZeroesOverBackingReadZeroes()
    {
        Discard(_top, 0, Chunk);
        Zero(_top, Chunk, Chunk, WriteZeroesFlags.MayUnmap);
        Assert.Equal(new byte[2 * Chunk], Read(_top, 0, 2 * Chunk));
        Assert.Equal(new BlockStatus(2 * Chunk, Data: false, Zero: true, Depth: 1), Status(_top, 0, 8 * Chunk));
        Assert.Equal(0, _top.AllocatedBytes);
        Assert.Equal(Pattern(2 * Chunk, 1).AsSpan(0, 100).ToArray(), Read(_base, 0, 100));
    }

    [Fact]
    public void PartialDiscardOverBackingZeroesOnlyItsRange()
    {
        Discard(_top, 1000, 2000);
        var expected = Pattern(2 * Chunk, 1).AsSpan(0, 4000).ToArray();
        Array.Clear(expected, 1000, 2000);
        Assert.Equal(expected, Read(_top, 0, 4000));
    }

    [Fact]
    public void BackingShorterThanTopReadsZeroesBeyondItsEnd()
    {
        using var small = Memory(Chunk, "small");
        Write(small, 0, Pattern(Chunk, 5));
        using var large = Memory(3 * Chunk, "large", small);
        Assert.Equal(Pattern(Chunk, 5), Read(large, 0, Chunk));
        Assert.Equal(new byte[2 * Chunk], Read(large, Chunk, 2 * Chunk));
        Assert.Equal(new BlockStatus(2 * Chunk, Data: false, Zero: true, Depth: 0), Status(large, Chunk, 2 * Chunk));
    }

    [Fact]
    public void FastZeroOverBackingFileIsRefusedWhenItWouldBeSlow()
    {
        using var temp = new TempDirectory();
        using var file = Open(new BlockNodeOptions { NodeName = "top", Driver = BlockDriverKind.File, Path = temp.SparseFile(8 * Chunk), Backing = "base" }, _base);
        var error = Assert.Throws<BlockIoException>(() => Zero(file, 0, Chunk, WriteZeroesFlags.FastOnly));
        Assert.Equal(BlockError.NotSupported, error.Error);
        Assert.Equal(Pattern(2 * Chunk, 1).AsSpan(0, 100).ToArray(), Read(file, 0, 100));

        Zero(file, 0, Chunk);
        Assert.Equal(new byte[Chunk], Read(file, 0, Chunk));
        Assert.Equal(1, Status(file, 0, Chunk).Depth);
    }
}
