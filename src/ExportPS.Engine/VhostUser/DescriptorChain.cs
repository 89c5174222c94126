namespace ExportPS.Engine.VhostUser;

/// <summary>
/// One request taken off a virtqueue: its head index, and its buffers translated to host memory, the device-readable
/// ones and the device-writable ones, each as pieces in order (a buffer crossing a memory window or region boundary is
/// several pieces). Reused from request to request.
/// </summary>
public sealed class DescriptorChain
{
    public ushort Head { get; internal set; }

    public List<Memory<byte>> Readable { get; } = [];

    public List<Memory<byte>> Writable { get; } = [];

    public long ReadableLength { get; internal set; }

    public long WritableLength { get; internal set; }

    public DescriptorChainFault Fault { get; internal set; }

    /// <summary>
    /// The chain is well formed up to its end and ends in a writable buffer that is mapped: the device can still report a
    /// failure in its last byte (virtio-blk's status) even when <see cref="Fault"/> says some other buffer is unusable.
    /// </summary>
    public bool EndsInMappedWritable { get; internal set; }

    /// <summary>The chain was taken again after a reconnect (from the in-flight area), not off the available ring.</summary>
    internal bool Resubmitted { get; set; }

    /// <summary>The queue's generation when the chain was taken: a chain of an abandoned one publishes nothing.</summary>
    internal int Generation { get; set; }

    /// <summary>The memory the pieces point into, acquired until the chain is completed.</summary>
    internal GuestMemory? Memory { get; set; }

    internal void Reset(ushort head)
    {
        Head = head;
        Readable.Clear();
        Writable.Clear();
        ReadableLength = 0;
        WritableLength = 0;
        Fault = DescriptorChainFault.None;
        EndsInMappedWritable = false;
        Resubmitted = false;
    }
}
