namespace ExportPS.Engine.Net;

/// <summary>
/// Where a stream reader waits while its netdev's peer has no room (QEMU's can_receive), and what a writer pulses once
/// it has drained its queue enough to take frames again. One signal serves every netdev: a pulse wakes every waiting
/// reader and each checks its own path again, which costs little since pulses come once per half a queue. Waits are
/// bounded, so a change no one pulses for (a link set down, a peer removed) is seen within the recheck interval.
/// </summary>
internal static class NetRoomSignal
{
    private static readonly TimeSpan RecheckInterval = TimeSpan.FromMilliseconds(20);
    private static readonly object Gate = new();
    private static int _waiters;

    /// <summary>Blocks until <paramref name="ready"/> or <paramref name="stopped"/> holds.</summary>
    public static void WaitUntil(Func<bool> ready, Func<bool> stopped)
    {
        lock (Gate)
        {
            // The increment is a full fence: a writer that frees room after it sees the waiter and pulses, and one that
            // freed room before it is seen by the check below.
            Interlocked.Increment(ref _waiters);
            try
            {
                while (!ready() && !stopped())
                    Monitor.Wait(Gate, RecheckInterval);
            }
            finally
            {
                Interlocked.Decrement(ref _waiters);
            }
        }
    }

    /// <summary>Room was freed (or a path changed): waiting readers check their paths again.</summary>
    public static void Pulse()
    {
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _waiters) == 0)
            return;
        lock (Gate)
            Monitor.PulseAll(Gate);
    }
}
