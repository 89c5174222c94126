using ExportPS.Engine.Block;
using ExportPS.Engine.Block.Drivers;
using ExportPS.Engine.Model;
using Xunit;
using static ExportPS.Engine.Tests.Block.TestNodes;

namespace ExportPS.Engine.Tests.Block;

/// <summary>Reads without a copy: what a memory node lends must read exactly as a copying read does.</summary>
public sealed class MemoryLendingTests
{
    private const int Chunk = MemoryBlockDriver.ChunkSize;

    /// <summary>The runs laid end to end, zero runs as zeroes.</summary>
    private static byte[] Assemble(List<LentRun> runs)
    {
        var data = new List<byte>();
        foreach (var run in runs)
        {
            data.AddRange(run.Zero ? new byte[run.Length] : run.Data!.AsSpan(run.Offset, run.Length).ToArray());
        }

        return data.ToArray();
    }

    [Fact]
    public void LentRunsReadAsACopyDoesAndAdjacentZeroChunksMerge()
    {
        using var node = Memory(6 * Chunk);
        Write(node, 0, Pattern(Chunk, 1));
        Write(node, 3 * Chunk + 100, Pattern(5000, 2));
        Zero(node, 4 * Chunk, Chunk); // allocated zeroes, no memory
        Write(node, 5 * Chunk, Pattern(Chunk, 3));

        var runs = new List<LentRun>();
        Assert.True(node.TryLend(10, (6 * Chunk) - 20, runs));
        Assert.Equal(Read(node, 10, (6 * Chunk) - 20), Assemble(runs));

        // Chunk 0 lent, 1-2 one zero run, 3 lent, 4 a zero run, 5 lent.
        Assert.Equal([false, true, false, true, false], runs.Select(r => r.Zero));
        Assert.Equal(2 * Chunk, runs[1].Length);
    }

    [Fact]
    public void CompressedChunksAndBackingNodesAreNotLentAndTheRunsStayAsTheyWere()
    {
        using var compressed = Memory(4 * Chunk, compression: BlockCompression.Lz4);
        Write(compressed, Chunk, new byte[Chunk / 2]); // zeroes compress well
        var runs = new List<LentRun> { new(null, 0, 7) };
        Assert.False(compressed.TryLend(0, 3 * Chunk, runs));
        Assert.Equal([new LentRun(null, 0, 7)], runs);

        using var backing = Memory(4 * Chunk, "base");
        using var top = Memory(4 * Chunk, "top", backing);
        Assert.False(top.TryLend(0, Chunk, runs));
        Assert.Single(runs);
    }

    [Fact]
    public void AWriteAfterLendingGoesToTheSameArrayAndAFreedChunkIsNeverReused()
    {
        using var node = Memory(2 * Chunk);
        Write(node, 0, Pattern(Chunk, 4));
        var runs = new List<LentRun>();
        Assert.True(node.TryLend(0, Chunk, runs));
        var lent = runs[0].Data!;

        Discard(node, 0, Chunk);
        Write(node, 0, Pattern(Chunk, 5));
        var again = new List<LentRun>();
        Assert.True(node.TryLend(0, Chunk, again));
        Assert.NotSame(lent, again[0].Data);
        Assert.Equal(Pattern(Chunk, 4), lent); // what was lent before the discard is untouched
    }
}
