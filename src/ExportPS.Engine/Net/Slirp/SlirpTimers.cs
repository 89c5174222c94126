namespace ExportPS.Engine.Net.Slirp;

/// <summary>
/// The timers libslirp asks for (timer_new_opaque, timer_mod, timer_free), kept by the thread that runs the instance:
/// its poll waits no longer than the nearest deadline, then hands each timer that came due to slirp_handle_timer.
/// A timer's handle for libslirp is a number, not a pointer to managed memory.
/// </summary>
internal sealed class SlirpTimers
{
    private sealed class Timer(int id, nint callbackOpaque)
    {
        public int Id { get; } = id;
        public nint CallbackOpaque { get; } = callbackOpaque;
        public long? DueMs { get; set; }
    }

    private readonly Dictionary<nint, Timer> _timers = [];
    private nint _lastHandle;

    public nint Create(int id, nint callbackOpaque)
    {
        _timers.Add(++_lastHandle, new Timer(id, callbackOpaque));
        return _lastHandle;
    }

    /// <summary>Arms the timer for <paramref name="dueMs"/> on the instance's clock (milliseconds).</summary>
    public void Modify(nint handle, long dueMs)
    {
        if (_timers.TryGetValue(handle, out var timer))
            timer.DueMs = dueMs;
    }

    public void Free(nint handle) => _timers.Remove(handle);

    /// <summary>How long until the nearest armed timer is due (0 when one is), or null when none is armed.</summary>
    public long? MillisecondsUntilNext(long nowMs)
    {
        long? next = null;
        foreach (var timer in _timers.Values)
        {
            if (timer.DueMs is { } due)
                next = Math.Min(next ?? long.MaxValue, Math.Max(0, due - nowMs));
        }

        return next;
    }

    /// <summary>Disarms every timer due by <paramref name="nowMs"/> and runs <paramref name="fire"/> on it (which may re-arm or free timers).</summary>
    public void FireDue(long nowMs, Action<int, nint> fire)
    {
        bool anyDue = false;
        foreach (var timer in _timers.Values)
            anyDue |= timer.DueMs <= nowMs;
        if (!anyDue)
            return;
        foreach (var timer in _timers.Values.Where(timer => timer.DueMs <= nowMs).ToArray())
        {
            timer.DueMs = null;
            fire(timer.Id, timer.CallbackOpaque);
        }
    }
}
