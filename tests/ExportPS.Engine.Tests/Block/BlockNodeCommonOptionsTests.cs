using ExportPS.Engine.Block;
using ExportPS.Engine.Exports;
using ExportPS.Engine.Model;
using ExportPS.Engine.Tests.Nbd;
using Xunit;
using static ExportPS.Engine.Tests.Block.TestNodes;

namespace ExportPS.Engine.Tests.Block;

/// <summary>
/// The options QEMU puts on every blockdev, as the block layer honours them for every driver and export: discard,
/// detect-zeroes and cache.no-flush.
/// </summary>
public sealed class BlockNodeCommonOptionsTests
{
    private const int Chunk = ExportPS.Engine.Block.Drivers.MemoryBlockDriver.ChunkSize;

    private static BlockNode MemoryNode(BlockDiscardMode discard = BlockDiscardMode.Ignore, BlockDetectZeroes detectZeroes = BlockDetectZeroes.Off, BlockNode? backing = null) =>
        Open(new BlockNodeOptions
        {
            NodeName = "n", Driver = BlockDriverKind.Memory, Size = 4 * Chunk, Discard = discard, DetectZeroes = detectZeroes, Backing = backing?.NodeName,
        }, backing);

    /// <summary>A node over a driver that records what reaches it.</summary>
    private static (BlockNode Node, ScriptedBlockDriver Driver) ScriptedNode(BlockDetectZeroes detectZeroes = BlockDetectZeroes.Off, bool noFlush = false)
    {
        var driver = new ScriptedBlockDriver(4 * Chunk);
        var options = new BlockNodeOptions { NodeName = "s", Driver = BlockDriverKind.Memory, Size = 4 * Chunk, DetectZeroes = detectZeroes, NoFlush = noFlush };
        return (new BlockNode(options, driver, backing: null), driver);
    }

    [Fact]
    public void Discard_ignore_is_the_default_and_keeps_data_allocation_and_bitmaps()
    {
        Assert.Equal(BlockDiscardMode.Ignore, new BlockNodeOptions { NodeName = "n", Driver = BlockDriverKind.Memory }.Discard);
        using var node = MemoryNode();
        var data = Pattern(2 * Chunk, 1);
        Write(node, 0, data);
        var bitmap = node.Bitmaps.Add(new DirtyBitmapOptions { NodeName = "n", Name = "b" });

        Discard(node, 0, 2 * Chunk);

        Assert.Equal(data, Read(node, 0, 2 * Chunk));
        Assert.Equal(2 * Chunk, node.AllocatedBytes);
        Assert.Equal(0, bitmap.Count);
    }

    [Fact]
    public void Discard_ignore_still_refuses_what_a_discard_may_not_do()
    {
        using var node = Open(new BlockNodeOptions { NodeName = "ro", Driver = BlockDriverKind.Memory, Size = Chunk, ReadOnly = true });
        Assert.Equal(BlockError.ReadOnly, Assert.Throws<BlockIoException>(() => Discard(node, 0, 1)).Error);
        using var writable = MemoryNode();
        Assert.Equal(BlockError.InvalidArgument, Assert.Throws<BlockIoException>(() => Discard(writable, 4 * Chunk, 1)).Error);
    }

    [Fact]
    public void Discard_unmap_deallocates()
    {
        using var node = MemoryNode(BlockDiscardMode.Unmap);
        Write(node, 0, Pattern(2 * Chunk, 2));
        Discard(node, 0, Chunk);
        Assert.Equal(new byte[Chunk], Read(node, 0, Chunk));
        Assert.Equal(new BlockStatus(Chunk, Data: false, Zero: true, Depth: 0), Status(node, 0, 2 * Chunk));
    }

    [Theory]
    [InlineData(BlockDiscardMode.Ignore, 1)]
    [InlineData(BlockDiscardMode.Unmap, 0)]
    public void Write_zeroes_may_unmap_only_with_discard_unmap(BlockDiscardMode discard, int depth)
    {
        using var node = MemoryNode(discard);
        Write(node, 0, Pattern(Chunk, 3));
        Zero(node, 0, Chunk, WriteZeroesFlags.MayUnmap);
        Assert.Equal(new byte[Chunk], Read(node, 0, Chunk));
        Assert.Equal(new BlockStatus(Chunk, Data: false, Zero: true, Depth: depth), Status(node, 0, Chunk));
    }

    [Theory]
    [InlineData(BlockDetectZeroes.Off, "write")]
    [InlineData(BlockDetectZeroes.On, "zero")]
    [InlineData(BlockDetectZeroes.Unmap, "zero")]
    public void Detect_zeroes_turns_an_all_zero_write_into_write_zeroes(BlockDetectZeroes detectZeroes, string reached)
    {
        var (node, driver) = ScriptedNode(detectZeroes);
        using (node)
        {
            Write(node, 0, Pattern(4096, 4));
            Write(node, 0, new byte[4096]);
            var data = new byte[4096];
            data[4095] = 1;
            Write(node, 4096, data);
            Assert.Equal(["write", reached, "write"], driver.Durability);
            Assert.Equal(new byte[4096], Read(node, 0, 4096));
        }
    }

    [Fact]
    public async Task A_detected_zero_write_asked_durable_is_zeroed_then_flushed()
    {
        var (node, driver) = ScriptedNode(BlockDetectZeroes.On);
        using (node)
        {
            await node.WriteAsync(0, new byte[512], forceUnitAccess: true);
            Assert.Equal(["zero", "flush"], driver.Durability);
        }
    }

    [Theory]
    [InlineData(BlockDetectZeroes.On, 1)]
    [InlineData(BlockDetectZeroes.Unmap, 0)]
    public void Detect_zeroes_unmap_deallocates_and_on_keeps_the_range_allocated(BlockDetectZeroes detectZeroes, int depth)
    {
        using var node = MemoryNode(BlockDiscardMode.Unmap, detectZeroes);
        Write(node, 0, Pattern(2 * Chunk, 5));
        var bitmap = node.Bitmaps.Add(new DirtyBitmapOptions { NodeName = "n", Name = "b", Granularity = Chunk });
        Write(node, 0, new byte[Chunk]);
        Assert.Equal(new BlockStatus(Chunk, Data: false, Zero: true, Depth: depth), Status(node, 0, 2 * Chunk));
        Assert.Equal(Chunk, bitmap.Count);
    }

    [Fact]
    public void A_detected_zero_write_over_a_backing_node_reads_zeroes_not_the_backing_data()
    {
        using var backing = Memory(4 * Chunk, "base");
        Write(backing, 0, Pattern(4 * Chunk, 6));
        using var top = MemoryNode(BlockDiscardMode.Unmap, BlockDetectZeroes.Unmap, backing);
        Write(top, 100, new byte[Chunk]);
        Assert.Equal(new byte[Chunk], Read(top, 100, Chunk));
        Assert.Equal(Pattern(4 * Chunk, 6).AsSpan(0, 100).ToArray(), Read(top, 0, 100));
    }

    [Fact]
    public async Task No_flush_makes_flush_and_force_unit_access_no_ops()
    {
        var (node, driver) = ScriptedNode(noFlush: true);
        using (node)
        {
            Flush(node);
            await node.WriteAsync(0, Pattern(512, 7), forceUnitAccess: true);
            await new ExportIoPolicy(writethrough: true).WriteZeroesAsync(node, 0, 512, WriteZeroesFlags.None, fua: true);
            Assert.Equal(["write", "zero"], driver.Durability);
        }
    }

    [Fact]
    public async Task Without_no_flush_the_same_requests_reach_the_driver_durable()
    {
        var (node, driver) = ScriptedNode();
        using (node)
        {
            Flush(node);
            await node.WriteAsync(0, Pattern(512, 7), forceUnitAccess: true);
            await new ExportIoPolicy(writethrough: true).WriteZeroesAsync(node, 0, 512, WriteZeroesFlags.None, fua: true);
            Assert.Equal(["flush", "write+fua", "zero", "flush"], driver.Durability);
        }
    }
}
