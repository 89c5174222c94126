using ExportPS.Engine.Net;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

public sealed class AnnounceTimingTests
{
    private static long[] Milliseconds(AnnounceTiming timing) =>
        [.. timing.Delays().Select(delay => (long)delay.TotalMilliseconds)];

    [Fact]
    public void QmpExampleGrowsByStepUpToMax()
    {
        // announce-self's example in net.json: initial 50, max 550, rounds 10, step 50.
        Assert.Equal([0, 50, 100, 150, 200, 250, 300, 350, 400, 450],
            Milliseconds(new AnnounceTiming(Initial: 50, Max: 550, Rounds: 10, Step: 50)));
    }

    [Fact]
    public void DelaysAboveMaxAreCappedAtMax() =>
        Assert.Equal([0, 50, 150, 200, 200], Milliseconds(new AnnounceTiming(50, 200, 5, 100)));

    [Fact]
    public void NegativeDelayBecomesMax() =>
        Assert.Equal([0, 100, 300, 300], Milliseconds(new AnnounceTiming(100, 300, 4, -200)));

    [Fact]
    public void ZeroRoundsSendNothingAndOneRoundSendsAtOnce()
    {
        Assert.Empty(Milliseconds(new AnnounceTiming(50, 550, 0, 50)));
        Assert.Equal([0], Milliseconds(new AnnounceTiming(50, 550, 1, 50)));
    }

    [Fact]
    public void NegativeRoundsAreRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new AnnounceTiming(50, 550, -1, 50).Delays());
}
