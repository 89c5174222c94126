using System.Diagnostics;
using ExportPS.Engine.Threading;
using Xunit;

namespace ExportPS.Engine.Tests.Threading;

public sealed class AdaptivePollTests
{
    private const long LimitNs = 200_000;
    private static readonly long LimitTicks = Ticks(200);

    private static long Ticks(long microseconds) => microseconds * Stopwatch.Frequency / 1_000_000;

    private static List<long> Windows(AdaptivePoll poll, params long[] waitsInMicroseconds) =>
        waitsInMicroseconds.Select(wait =>
        {
            poll.Observe(Ticks(wait));
            return poll.WindowTicks;
        }).ToList();

    [Fact]
    public void StartsWithoutPolling() => Assert.Equal(0, new AdaptivePoll(LimitNs).WindowTicks);

    [Fact]
    public void ShortWaitsGrowTheWindowFrom4MicrosecondsByDoublingUpToTheLimit()
    {
        Assert.Equal([Ticks(4), Ticks(8), Ticks(16), Ticks(32), Ticks(64), Ticks(128), LimitTicks, LimitTicks],
            Windows(new AdaptivePoll(LimitNs), 150, 150, 150, 150, 150, 150, 150, 150));
    }

    [Fact]
    public void PollGrowSetsTheFactor()
    {
        Assert.Equal([Ticks(4), Ticks(40), LimitTicks], Windows(new AdaptivePoll(LimitNs, grow: 10), 150, 150, 150));
    }

    [Fact]
    public void AWaitThePollingCoveredLeavesTheWindowAlone()
    {
        var poll = new AdaptivePoll(LimitNs);
        Windows(poll, 100, 100);
        long window = poll.WindowTicks;

        poll.Observe(window);
        poll.Observe(window / 2);

        Assert.Equal(window, poll.WindowTicks);
    }

    [Fact]
    public void AWaitPastTheLimitStopsPolling()
    {
        var poll = new AdaptivePoll(LimitNs);
        Windows(poll, 199, 199, 199, 199, 199, 199, 199);
        Assert.Equal(LimitTicks, poll.WindowTicks);

        poll.Observe(LimitTicks + 1);

        Assert.Equal(0, poll.WindowTicks);
    }

    [Fact]
    public void PollShrinkDividesTheWindowInstead()
    {
        var poll = new AdaptivePoll(LimitNs, shrink: 4);
        Windows(poll, 199, 199, 199, 199, 199, 199, 199);

        Assert.Equal([LimitTicks / 4, LimitTicks / 16], Windows(poll, 1000, 1000));
    }

    [Fact]
    public void ALimitOfZeroNeverPolls()
    {
        Assert.All(Windows(new AdaptivePoll(0), 0, 1, 5, 150, 10_000), window => Assert.Equal(0, window));
    }
}
