using Xunit;

namespace ExportPS.Host.Tests;

/// <summary>Runs alone: the trim reads the whole process's CPU time and allocations, so no other test may run meanwhile.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideCollection
{
    public const string Name = "process-wide measures";
}

/// <summary>The host gives memory back once it is idle after work, and never while it is busy.</summary>
[Collection(ProcessWideCollection.Name)]
public sealed class IdleMemoryTrimTests
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(200);
    private const long WorkBytes = 32 << 20;

    [Fact]
    public void Gives_memory_back_once_idle_after_work()
    {
        var loggers = new CapturingLoggerFactory();
        using var trim = new IdleMemoryTrim(loggers, Period, WorkBytes);

        Allocate(2 * WorkBytes);

        WaitIdlyForATrim(trim);
        var trimmed = Assert.Single(loggers.Events);
        Assert.Equal("host_memory_trimmed", trimmed.EventName);
        Assert.Equal(6000, trimmed.EventId);
        Assert.Matches(@"^Quiet after \d+ MiB allocated: memory given back, resident \d+ -> \d+ MiB, GC heap committed \d+ -> \d+ MiB$", trimmed.Message);
        Thread.Sleep(5 * Period);
        Assert.Equal(1, trim.Trims); // no more work since: nothing more to give back
    }

    [Fact]
    public void Does_not_trim_while_the_process_is_busy()
    {
        var loggers = new CapturingLoggerFactory();
        using var trim = new IdleMemoryTrim(loggers, Period, WorkBytes);
        Allocate(2 * WorkBytes);

        // Busy (a core spinning) for ten periods: enough work was done, but the host is not idle.
        var busyUntil = DateTime.UtcNow + 10 * Period;
        while (DateTime.UtcNow < busyUntil)
        {
        }

        Assert.Equal(0, trim.Trims);
        WaitIdlyForATrim(trim);
    }

    [Fact]
    public void Does_not_trim_an_idle_process_that_did_little_work()
    {
        var loggers = new CapturingLoggerFactory();
        using var trim = new IdleMemoryTrim(loggers, Period, workBytes: 1L << 40);

        Thread.Sleep(5 * Period);

        Assert.Equal(0, trim.Trims);
        Assert.Empty(loggers.Events);
    }

    /// <summary>Sleeps (a spinning wait would keep the process busy) until the first trim, at most 10 s.</summary>
    private static void WaitIdlyForATrim(IdleMemoryTrim trim)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (trim.Trims == 0 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(Period);
        }

        Assert.Equal(1, trim.Trims);
    }

    /// <summary>Garbage: <paramref name="bytes"/> in small arrays, none kept.</summary>
    private static void Allocate(long bytes)
    {
        for (long done = 0; done < bytes; done += 64 << 10)
        {
            GC.KeepAlive(new byte[64 << 10]);
        }
    }
}
