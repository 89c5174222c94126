using ExportPS.Engine.Block;
using ExportPS.Engine.Block.Drivers;
using ExportPS.Engine.Errors;
using Xunit;
using static ExportPS.Engine.Tests.Block.TestNodes;

namespace ExportPS.Engine.Tests.Block;

public sealed class MemoryBlockDriverTests
{
    private const int Chunk = MemoryBlockDriver.ChunkSize;

    [Fact]
    public void NewDiskReadsZeroesAndHoldsNothing()
    {
        using var node = Memory(4 * Chunk);
        Assert.Equal(0, node.AllocatedBytes);
        Assert.Equal(new byte[4 * Chunk], Read(node, 0, 4 * Chunk));
        Assert.Equal(new BlockStatus(4 * Chunk, Data: false, Zero: true, Depth: 0), Status(node, 0, 4 * Chunk));
    }

    [Fact]
    public void OneTebibyteDiskCostsNothingUntilWritten()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        using var node = Memory(1L << 40);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024, "an empty 1 TiB disk allocates only its directory");
        Assert.Equal(0, node.AllocatedBytes);

        var data = Pattern(4096, 1);
        Write(node, (1L << 40) - 4096, data);
        Assert.Equal(Chunk, node.AllocatedBytes);
        Assert.Equal(data, Read(node, (1L << 40) - 4096, 4096));

        // The whole unwritten disk is one run, found without visiting every chunk.
        var status = Status(node, 0, 1L << 40);
        Assert.Equal(new BlockStatus((1L << 40) - Chunk, Data: false, Zero: true, Depth: 0), status);
    }

    [Fact]
    public void WritesSpanningChunksReadBack()
    {
        using var node = Memory(8 * Chunk + 1000);
        var data = Pattern(3 * Chunk + 777, 2);
        Write(node, Chunk - 123, data);
        Assert.Equal(data, Read(node, Chunk - 123, data.Length));
        Assert.Equal(5 * Chunk, node.AllocatedBytes);

        var tail = Pattern(1000, 3);
        Write(node, 8 * Chunk, tail);
        Assert.Equal(tail, Read(node, 8 * Chunk, 1000));
    }

    [Fact]
    public void DiscardFreesWholeChunksAndZeroesPartialOnes()
    {
        using var node = Memory(4 * Chunk);
        var data = Pattern(4 * Chunk, 4);
        Write(node, 0, data);
        Assert.Equal(4 * Chunk, node.AllocatedBytes);

        Discard(node, Chunk / 2, 2 * Chunk);
        Assert.Equal(3 * Chunk, node.AllocatedBytes);
        Assert.Equal(new BlockStatus(Chunk, Data: false, Zero: true, Depth: 0), Status(node, Chunk, 3 * Chunk));
        Array.Clear(data, Chunk / 2, 2 * Chunk);
        Assert.Equal(data, Read(node, 0, 4 * Chunk));
    }

    [Fact]
    public void WriteZeroesFreesWholeChunksAndClearsPartialOnes()
    {
        using var node = Memory(4 * Chunk);
        var data = Pattern(4 * Chunk, 5);
        Write(node, 0, data);

        Zero(node, 100, 2 * Chunk);
        Assert.Equal(3 * Chunk, node.AllocatedBytes);
        Array.Clear(data, 100, 2 * Chunk);
        Assert.Equal(data, Read(node, 0, 4 * Chunk));
        // Without may-unmap the whole chunk stays allocated, as zeroes that cost nothing.
        Assert.Equal(new BlockStatus(Chunk, Data: false, Zero: true, Depth: 1), Status(node, Chunk, Chunk));
        Assert.Equal(new BlockStatus(Chunk, Data: true, Zero: false, Depth: 1), Status(node, 0, Chunk));

        Zero(node, 2 * Chunk, 2 * Chunk, WriteZeroesFlags.MayUnmap | WriteZeroesFlags.FastOnly);
        Assert.Equal(Chunk, node.AllocatedBytes);
        Assert.Equal(new BlockStatus(2 * Chunk, Data: false, Zero: true, Depth: 0), Status(node, 2 * Chunk, 2 * Chunk));
    }

    [Fact]
    public void WritingIntoZeroChunkAllocatesIt()
    {
        using var node = Memory(2 * Chunk);
        Zero(node, 0, 2 * Chunk);
        Assert.Equal(0, node.AllocatedBytes);
        Write(node, 10, [1, 2, 3]);
        Assert.Equal(Chunk, node.AllocatedBytes);
        Assert.Equal(new byte[] { 0, 1, 2, 3, 0 }, Read(node, 9, 5));
    }

    [Fact]
    public void StatusMergesRunsOfEqualState()
    {
        using var node = Memory(10 * Chunk);
        Write(node, 2 * Chunk, Pattern(3 * Chunk, 6));
        Assert.Equal(new BlockStatus(2 * Chunk, false, true, 0), Status(node, 0, 10 * Chunk));
        Assert.Equal(new BlockStatus(3 * Chunk - 5, true, false, 1), Status(node, 2 * Chunk + 5, 8 * Chunk - 5));
        Assert.Equal(new BlockStatus(Chunk, true, false, 1), Status(node, 2 * Chunk, Chunk));
        Assert.Equal(new BlockStatus(5 * Chunk, false, true, 0), Status(node, 5 * Chunk, 5 * Chunk));
    }

    [Fact]
    public void SizeAboveLimitIsRefused()
    {
        var error = Assert.Throws<EngineException>(() => Memory(MemoryBlockDriver.MaxSize + 1));
        Assert.Equal(ErrorIds.InvalidBlockNodeOptions, error.ErrorId);
    }

    [Fact]
    public async Task ConcurrentWritersToSharedChunksKeepEveryWrite()
    {
        using var node = Memory(16 * Chunk);
        const int Threads = 8, Blocks = 16 * Chunk / 4096;
        // Each thread owns every 8th 4 KiB block: the threads share every chunk and race to allocate it.
        await Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Run(async () =>
        {
            var block = new byte[4096];
            for (int b = t; b < Blocks; b += Threads)
            {
                Array.Fill(block, (byte)(b * 7 + 1));
                await node.WriteAsync(b * 4096L, block);
            }
        })));

        var all = Read(node, 0, 16 * Chunk);
        for (int b = 0; b < Blocks; b++)
        {
            Assert.True(all.AsSpan(b * 4096, 4096).IndexOfAnyExcept((byte)(b * 7 + 1)) < 0, $"block {b} lost its write");
        }

        Assert.Equal(16 * Chunk, node.AllocatedBytes);
    }

    [Fact]
    public void ZeroingWholeLeavesOfAFreshDiskCostsNoTables()
    {
        const long Leaf = (long)Chunk * MemoryBlockDriver.ChunksPerLeaf;
        long size = 4 * Leaf + 5 * Chunk + 100;
        using var node = Memory(size);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Zero(node, 0, size);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024, "whole zero leaves are shared, not allocated");
        Assert.Equal(new BlockStatus(size, Data: false, Zero: true, Depth: 1), Status(node, 0, size));

        // Writing into a zero leaf copies it; the rest stays allocated zeroes.
        var data = Pattern(4096, 7);
        Write(node, Leaf + 3 * Chunk + 10, data);
        Assert.Equal(data, Read(node, Leaf + 3 * Chunk + 10, 4096));
        Assert.Equal(new byte[60], Read(node, Leaf + 3 * Chunk - 50, 60));
        Assert.Equal(Chunk, node.AllocatedBytes);
        Assert.Equal(new BlockStatus(Leaf + 3 * Chunk, Data: false, Zero: true, Depth: 1), Status(node, 0, size));
        Assert.Equal(new BlockStatus(Chunk, Data: true, Zero: false, Depth: 1), Status(node, Leaf + 3 * Chunk, size - Leaf - 3 * Chunk));

        // Unmapping a chunk of a zero leaf must not touch the shared leaf: another disk still sees zeroes there.
        Zero(node, 2 * Leaf + Chunk, Chunk, WriteZeroesFlags.MayUnmap);
        Assert.Equal(new BlockStatus(Chunk, Data: false, Zero: true, Depth: 0), Status(node, 2 * Leaf + Chunk, Chunk));
        using var other = Memory(size, "other");
        Zero(other, 0, size);
        Assert.Equal(new BlockStatus(size, Data: false, Zero: true, Depth: 1), Status(other, 0, size));
        Assert.Equal(new BlockStatus(Chunk, Data: false, Zero: true, Depth: 1), Status(other, 2 * Leaf + Chunk, Chunk));

        // Unmapping whole leaves frees them again.
        Discard(node, 3 * Leaf, size - 3 * Leaf);
        Assert.Equal(new BlockStatus(size - 3 * Leaf, Data: false, Zero: true, Depth: 0), Status(node, 3 * Leaf, size - 3 * Leaf));
        Assert.Equal(Chunk, node.AllocatedBytes);
    }
}
