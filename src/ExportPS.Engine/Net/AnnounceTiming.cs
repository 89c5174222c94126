namespace ExportPS.Engine.Net;

/// <summary>
/// The timing of an announcement (the numbers of QAPI's AnnounceParameters, in milliseconds): the first round goes out
/// at once, the next after <see cref="Initial"/>, each later one <see cref="Step"/> more, never more than
/// <see cref="Max"/>; <see cref="Rounds"/> rounds in all.
/// </summary>
public readonly record struct AnnounceTiming(long Initial, long Max, long Rounds, long Step)
{
    /// <summary>
    /// The wait before each round, as QEMU's announce timer computes it: 0 for the first; for round k (k ≥ 1)
    /// Initial + (k - 1) × Step, replaced by Max when that is negative or above Max.
    /// </summary>
    public IEnumerable<TimeSpan> Delays()
    {
        if (Rounds < 0)
            throw new ArgumentOutOfRangeException(nameof(Rounds), Rounds, "announce rounds cannot be negative");
        return Enumerate(this);

        static IEnumerable<TimeSpan> Enumerate(AnnounceTiming timing)
        {
            for (long round = 0; round < timing.Rounds; round++)
                yield return TimeSpan.FromMilliseconds(timing.DelayBefore(round));
        }
    }

    /// <summary>The wait in milliseconds before round <paramref name="round"/> (0-based).</summary>
    public long DelayBefore(long round)
    {
        if (round == 0)
            return 0;
        var delay = Initial + (round - 1) * Step;
        return delay < 0 || delay > Max ? Max : delay;
    }
}
