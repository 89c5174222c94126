using System.Diagnostics;
using ExportPS.Engine.Threading;
using Xunit;

namespace ExportPS.Engine.Tests.Threading;

public sealed class AdaptivePollTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMicroseconds(200);
    private static readonly long LimitTicks = Ticks(200);

    private static long Ticks(long microseconds) => microseconds * Stopwatch.Frequency / 1_000_000;

    [Fact]
    public void StartsWithoutPolling() => Assert.Equal(0, new AdaptivePoll(Limit).WindowTicks);

    [Fact]
    public void ShortWaitsGrowTheWindowFrom4MicrosecondsByDoublingUpToTheLimit()
    {
        var poll = new AdaptivePoll(Limit);
        var windows = new List<long>();
        for (int i = 0; i < 8; i++)
        {
            poll.Observe(Ticks(150));
            windows.Add(poll.WindowTicks);
        }

        Assert.Equal([Ticks(4), Ticks(8), Ticks(16), Ticks(32), Ticks(64), Ticks(128), LimitTicks, LimitTicks], windows);
    }

    [Fact]
    public void AWaitThePollingCoveredLeavesTheWindowAlone()
    {
        var poll = new AdaptivePoll(Limit);
        poll.Observe(Ticks(100));
        poll.Observe(Ticks(100));
        long window = poll.WindowTicks;

        poll.Observe(window);
        poll.Observe(window / 2);

        Assert.Equal(window, poll.WindowTicks);
    }

    [Fact]
    public void AWaitPastTheLimitStopsPolling()
    {
        var poll = new AdaptivePoll(Limit);
        for (int i = 0; i < 10; i++)
        {
            poll.Observe(Ticks(199));
        }

        Assert.Equal(LimitTicks, poll.WindowTicks);
        poll.Observe(LimitTicks + 1);
        Assert.Equal(0, poll.WindowTicks);
    }
}
