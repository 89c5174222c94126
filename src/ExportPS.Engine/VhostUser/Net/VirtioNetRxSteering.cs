using ExportPS.Engine.Net;

namespace ExportPS.Engine.VhostUser.Net;

/// <summary>
/// Which receive queue a frame bound for the guest goes to: its flow's hash picks one of the queue pairs, so one flow
/// stays on one queue (and in order); when that pair's receive queue is not running (the driver enabled fewer pairs,
/// or the ring is stopped or broken) the hash picks among the receive queues that are.
/// </summary>
public static class VirtioNetRxSteering
{
    /// <summary>The receive queue for <paramref name="frame"/> among <paramref name="queues"/> (all of a device, by index); null when none runs.</summary>
    public static SplitVirtqueue? Choose(ReadOnlySpan<byte> frame, IReadOnlyList<SplitVirtqueue> queues)
    {
        int pairs = queues.Count / 2;
        if (pairs <= 1)
        {
            // One pair needs no hash.
            return pairs == 1 && Runs(queues[0]) ? queues[0] : null;
        }

        uint hash = NetFlowHash.Of(frame);
        var preferred = queues[2 * (int)(hash % (uint)pairs)];
        if (Runs(preferred))
        {
            return preferred;
        }

        int running = 0;
        for (int pair = 0; pair < pairs; pair++)
        {
            running += Runs(queues[2 * pair]) ? 1 : 0;
        }

        if (running == 0)
        {
            return null;
        }

        int pick = (int)(hash % (uint)running);
        for (int pair = 0; pair < pairs; pair++)
        {
            var queue = queues[2 * pair];
            if (Runs(queue) && pick-- == 0)
            {
                return queue;
            }
        }

        return null;
    }

    private static bool Runs(SplitVirtqueue queue) => queue.Started && queue.Enabled;
}
