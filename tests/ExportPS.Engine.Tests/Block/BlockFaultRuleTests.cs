using ExportPS.Engine.Block.Faults;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using Xunit;

namespace ExportPS.Engine.Tests.Block;

/// <summary>Which requests a fault rule hits: its byte range, its count, its (seeded) probability.</summary>
public sealed class BlockFaultRuleTests
{
    private static BlockFaultRule Rule(BlockFaultOptions options) => new(options);

    private static BlockFaultOptions Options(BlockFaultOperation operation = BlockFaultOperation.Read) =>
        new() { NodeName = "f", Operation = operation };

    [Theory]
    [InlineData(0, 100, false)] // ends before the range
    [InlineData(0, 1001, true)] // last byte is the range's first
    [InlineData(1000, 1, true)]
    [InlineData(1999, 1, true)] // the range's last byte
    [InlineData(2000, 512, false)] // starts at the range's end
    [InlineData(500, 4000, true)] // covers the range
    [InlineData(1500, 0, true)] // an empty request counts as its first byte
    [InlineData(2000, 0, false)]
    public void ARequestIsHitWhenItOverlapsTheRange(long offset, long length, bool hit) =>
        Assert.Equal(hit, Rule(Options() with { Offset = 1000, Length = 1000 }).TryHit(offset, length));

    [Fact]
    public void WithoutALengthTheRangeRunsToTheEnd()
    {
        var rule = Rule(Options() with { Offset = 1L << 40 });
        Assert.False(rule.TryHit(0, 4096));
        Assert.True(rule.TryHit(long.MaxValue / 2, 4096));
    }

    [Fact]
    public void AFlushIsAlwaysInRange() =>
        Assert.True(Rule(Options(BlockFaultOperation.Flush) with { Offset = 4096, Length = 1 }).TryHit(0, 0));

    [Fact]
    public void TheCountLimitsHitsAndRequestsOutOfRangeDoNotUseItUp()
    {
        var rule = Rule(Options() with { Offset = 4096, Length = 4096, Count = 2 });
        Assert.False(rule.TryHit(0, 512));
        Assert.Equal([true, true, false, false], Enumerable.Range(0, 4).Select(_ => rule.TryHit(4096, 512)));
        Assert.Equal((2L, 0L), (rule.Describe().Hits, rule.Describe().RemainingCount!.Value));
    }

    [Fact]
    public void ACountOfZeroNeverHits() => Assert.False(Rule(Options() with { Count = 0 }).TryHit(0, 1));

    [Fact]
    public void ASeededProbabilityRepeatsItsHitsAndKeepsItsRate()
    {
        bool[] Hits(int seed)
        {
            var rule = Rule(Options() with { Probability = 0.25, Seed = seed });
            return Enumerable.Range(0, 2000).Select(i => rule.TryHit(i * 512L, 512)).ToArray();
        }

        var first = Hits(7);
        Assert.Equal(first, Hits(7));
        Assert.NotEqual(first, Hits(8));
        Assert.InRange(first.Count(h => h), 400, 600);
    }

    [Fact]
    public void ProbabilityZeroNeverHitsAndOneAlwaysDoes()
    {
        var never = Rule(Options() with { Probability = 0, Seed = 1 });
        var always = Rule(Options() with { Probability = 1 });
        Assert.DoesNotContain(Enumerable.Range(0, 200), i => never.TryHit(i, 1));
        Assert.All(Enumerable.Range(0, 200), i => Assert.True(always.TryHit(i, 1)));
    }

    [Theory]
    [InlineData(-1L, null, 1.0, null, null, BlockFaultErrno.EIO, 0, "'offset' must be non-negative")]
    [InlineData(0L, -1L, 1.0, null, null, BlockFaultErrno.EIO, 0, "'length' must be non-negative")]
    [InlineData(0L, null, 1.5, null, null, BlockFaultErrno.EIO, 0, "'probability' must be between 0 and 1")]
    [InlineData(0L, null, double.NaN, null, null, BlockFaultErrno.EIO, 0, "'probability' must be between 0 and 1")]
    [InlineData(0L, null, 1.0, -2L, null, BlockFaultErrno.EIO, 0, "'count' must be non-negative")]
    [InlineData(0L, null, 1.0, null, -1L, BlockFaultErrno.EIO, 0, "'short-bytes' must be non-negative")]
    [InlineData(0L, null, 1.0, null, 512L, BlockFaultErrno.None, 10, "A short request must fail")]
    [InlineData(0L, null, 1.0, null, null, BlockFaultErrno.None, 0, "A rule without an errno must give a delay")]
    [InlineData(0L, null, 1.0, null, null, BlockFaultErrno.EIO, -5, "'delay' must be non-negative")]
    public void ABrokenRuleIsRefused(long offset, long? length, double probability, long? count, long? shortBytes, BlockFaultErrno errno, int delayMs, string message)
    {
        var error = Assert.Throws<EngineException>(() => Rule(Options() with
        {
            Offset = offset, Length = length, Probability = probability, Count = count, ShortBytes = shortBytes, Errno = errno,
            Delay = TimeSpan.FromMilliseconds(delayMs),
        }));
        Assert.Equal((ErrorIds.InvalidArgument, "f"), (error.ErrorId, error.Target));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void AShortRequestIsOnlyForReadsAndWrites() =>
        Assert.Contains("applies only to read and write",
            Assert.Throws<EngineException>(() => Rule(Options(BlockFaultOperation.Discard) with { ShortBytes = 1 })).Message);

    [Fact]
    public void ASetKeepsOneRulePerOperationAndClearsOneOrAll()
    {
        var set = new BlockFaultSet();
        set.Set(Options() with { Offset = 4096 });
        set.Set(Options() with { Offset = 0, Length = 512 });
        set.Set(Options(BlockFaultOperation.Write));
        Assert.Null(set.Hit(BlockFaultOperation.Read, 4096, 512));
        Assert.NotNull(set.Hit(BlockFaultOperation.Read, 0, 512));
        Assert.Null(set.Hit(BlockFaultOperation.Flush, 0, 0));

        set.Clear(BlockFaultOperation.Read);
        Assert.Equal([BlockFaultOperation.Write], set.Describe().Select(f => f.Operation));
        set.Clear(null);
        Assert.Empty(set.Describe());
    }
}
