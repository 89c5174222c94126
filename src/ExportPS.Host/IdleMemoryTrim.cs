using System.Diagnostics;
using System.Runtime.InteropServices;
using ExportPS.Host.Logging;
using Microsoft.Extensions.Logging;

namespace ExportPS.Host;

/// <summary>
/// Gives memory back to the system when the host goes idle after a burst of work. The runtime keeps what a load made
/// it commit: the GC's free regions and the glibc arenas where OpenSSL's per-connection state was freed. A daemon that
/// served 1,000 clients an hour ago should not still hold their memory, so once the process has used almost no CPU for
/// a whole period after enough was allocated, the host runs one aggressive collection (compacts and decommits free
/// regions) and malloc_trim (returns free arena pages), as QEMU trims its heap after its RCU callbacks run.
/// </summary>
internal sealed partial class IdleMemoryTrim : IDisposable
{
    /// <summary>How often the host looks whether it is idle.</summary>
    public static readonly TimeSpan DefaultPeriod = TimeSpan.FromSeconds(1);

    /// <summary>Allocated since the last trim before another is worth its pause; below it there is little to give back.</summary>
    public const long DefaultWorkBytes = 64 << 20;

    /// <summary>
    /// The share of one CPU below which a period counts as idle: QMP polls and timers stay under it, and a client doing
    /// I/O does not (its requests allocate almost nothing, so the allocation rate alone cannot tell).
    /// </summary>
    private const double IdleCpuShare = 0.02;

    private readonly ILogger _log;
    private readonly TimeSpan _period;
    private readonly long _workBytes;
    private readonly Process _self = Process.GetCurrentProcess();
    private readonly Timer _timer;
    private TimeSpan _cpuAtLastLook;
    private long _allocatedAtLastTrim = GC.GetTotalAllocatedBytes();
    private int _trims;

    public IdleMemoryTrim(ILoggerFactory loggers)
        : this(loggers, DefaultPeriod, DefaultWorkBytes)
    {
    }

    /// <summary>A trim that looks every <paramref name="period"/> and waits for <paramref name="workBytes"/> of allocation.</summary>
    public IdleMemoryTrim(ILoggerFactory loggers, TimeSpan period, long workBytes)
    {
        _log = loggers.CreateLogger(HostLog.Category);
        _period = period;
        _workBytes = workBytes;
        _cpuAtLastLook = _self.TotalProcessorTime;
        _timer = new Timer(_ => LookAndRearm(), null, period, Timeout.InfiniteTimeSpan);
    }

    /// <summary>How many times memory was given back.</summary>
    public int Trims => Volatile.Read(ref _trims);

    public void Dispose()
    {
        using var stopped = new ManualResetEvent(false);
        _timer.Dispose(stopped); // a look in progress finishes before the process handle goes
        stopped.WaitOne();
        _self.Dispose();
    }

    /// <summary>One look at a time: the next is armed when this one (and its trim, which may take a while) is done.</summary>
    private void LookAndRearm()
    {
        Look();
        try
        {
            _timer.Change(_period, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Disposed during the look: no next one.
        }
    }

    private void Look()
    {
        _self.Refresh();
        TimeSpan cpu = _self.TotalProcessorTime;
        bool idle = (cpu - _cpuAtLastLook).TotalMilliseconds < _period.TotalMilliseconds * IdleCpuShare;
        _cpuAtLastLook = cpu;
        long work = GC.GetTotalAllocatedBytes() - _allocatedAtLastTrim;
        if (!idle || work < _workBytes)
        {
            return;
        }

        long residentBefore = Environment.WorkingSet;
        long committedBefore = GC.GetGCMemoryInfo().TotalCommittedBytes;
        // Twice, with the finalizers in between: what the closed sockets' and TLS sessions' finalizers release is
        // garbage only after they ran, and they run after the first collection found them.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        TrimNativeHeap();
        _allocatedAtLastTrim = GC.GetTotalAllocatedBytes();
        _self.Refresh();
        _cpuAtLastLook = _self.TotalProcessorTime; // the trim's own CPU is not activity
        _log.MemoryTrimmed(work >> 20, residentBefore >> 20, Environment.WorkingSet >> 20, committedBefore >> 20, GC.GetGCMemoryInfo().TotalCommittedBytes >> 20);
        Interlocked.Increment(ref _trims); // after the event: whoever sees the count sees the event too
    }

    private static void TrimNativeHeap()
    {
        try
        {
            MallocTrim(0);
        }
        catch (EntryPointNotFoundException)
        {
            // Not glibc (musl has no malloc_trim): its allocator returns pages by itself.
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
