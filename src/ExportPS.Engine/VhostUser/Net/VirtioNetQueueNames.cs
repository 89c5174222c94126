namespace ExportPS.Engine.VhostUser.Net;

/// <summary>How virtio-net's virtqueues are named to users: queue pair n is "rxn" (virtqueue 2n) and "txn" (2n+1).</summary>
public static class VirtioNetQueueNames
{
    public static string Name(int virtqueue) => $"{(VirtioNetDevice.IsReceiveQueue(virtqueue) ? "rx" : "tx")}{virtqueue / 2}";

    /// <summary>One count per virtqueue, as "rx0=12 tx0=30 rx1=8 tx1=0".</summary>
    public static string Format(IReadOnlyList<long> counts) =>
        string.Join(' ', counts.Select((count, virtqueue) => $"{Name(virtqueue)}={count}"));
}
