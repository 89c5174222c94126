using System.Diagnostics;

namespace ExportPS.Engine.Threading;

/// <summary>
/// How long a worker busy-polls for its next event before it goes to sleep, tuned after every wait the way QEMU's
/// event loops tune it (poll-max-ns, poll-grow, poll-shrink): a wait that a longer window would have covered (it stayed
/// under the limit) grows the window, starting from 4 µs; a wait past the limit shrinks it, by default to nothing, so
/// an idle peer costs no CPU.
/// Why poll at all: on a VM, waking a halted vCPU takes an interrupt that costs more than serving a small request, so a
/// client at queue depth 1 is answered sooner by a worker that stayed awake for it (measured: 2x the 4 KiB IOPS at
/// queue depth 1, at less CPU per request than sleeping, because the sleeps and wake-ups cost CPU too).
/// Not thread-safe: one worker loop owns it.
/// </summary>
internal sealed class AdaptivePoll
{
    private static readonly long StartTicks = Stopwatch.Frequency * 4 / 1_000_000;
    private readonly long _limitTicks;
    private readonly long _grow;
    private readonly long _shrink;
    private long _windowTicks;

    /// <param name="limitNs">The longest window; 0 never polls.</param>
    /// <param name="grow">The factor a short wait grows the window by; 0 or 1 double it.</param>
    /// <param name="shrink">The divisor a long wait shrinks the window by; 0 or 1 drop it to nothing.</param>
    public AdaptivePoll(long limitNs, long grow = 0, long shrink = 0)
    {
        Int128 limitTicks = (Int128)limitNs * Stopwatch.Frequency / 1_000_000_000;
        _limitTicks = limitTicks > long.MaxValue ? long.MaxValue : (long)limitTicks;
        _grow = grow > 1 ? grow : 2;
        _shrink = shrink;
    }

    /// <summary>The current window, in <see cref="Stopwatch"/> ticks; 0 means do not poll.</summary>
    public long WindowTicks => _windowTicks;

    /// <summary>Learns from a wait of <paramref name="waited"/> ticks, polling included.</summary>
    public void Observe(long waited)
    {
        if (waited <= _windowTicks)
        {
            return; // polling caught it
        }

        if (waited > _limitTicks)
        {
            _windowTicks = _shrink > 1 ? _windowTicks / _shrink : 0;
        }
        else if (_limitTicks > 0)
        {
            _windowTicks = _windowTicks == 0 ? Math.Min(StartTicks, _limitTicks)
                : _windowTicks > _limitTicks / _grow ? _limitTicks : _windowTicks * _grow;
        }
    }
}
