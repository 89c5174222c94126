using System.Diagnostics;

namespace ExportPS.Engine.Threading;

/// <summary>
/// How long a worker busy-polls for its next event before it goes to sleep, tuned after every wait the way QEMU's
/// event loops tune poll-max-ns: a wait that a longer window would have covered (it stayed under the limit) doubles the
/// window, starting from 4 µs; a wait past the limit resets it to nothing, so an idle peer costs no CPU.
/// Why poll at all: on a VM, waking a halted vCPU takes an interrupt that costs more than serving a small request, so a
/// client at queue depth 1 is answered sooner by a worker that stayed awake for it (measured: 2x the 4 KiB IOPS at
/// queue depth 1, at less CPU per request than sleeping, because the sleeps and wake-ups cost CPU too).
/// Not thread-safe: one worker loop owns it.
/// </summary>
internal sealed class AdaptivePoll(TimeSpan limit)
{
    private static readonly long StartTicks = Stopwatch.Frequency * 4 / 1_000_000;
    private readonly long _limitTicks = limit.Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond;
    private long _windowTicks;

    /// <summary>The current window, in <see cref="Stopwatch"/> ticks; 0 means do not poll.</summary>
    public long WindowTicks => _windowTicks;

    /// <summary>Learns from a wait of <paramref name="waited"/> ticks, polling included.</summary>
    public void Observe(long waited)
    {
        if (waited <= _windowTicks)
        {
            return; // polling caught it
        }

        _windowTicks = waited > _limitTicks ? 0 : Math.Min(_limitTicks, _windowTicks == 0 ? StartTicks : _windowTicks * 2);
    }
}
