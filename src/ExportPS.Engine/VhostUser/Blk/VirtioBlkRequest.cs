namespace ExportPS.Engine.VhostUser.Blk;

/// <summary>A virtio-blk request being served: the chain taken off the queue and scratch space; pooled and reused.</summary>
internal sealed class VirtioBlkRequest
{
    public DescriptorChain Chain { get; } = new();

    /// <summary>The data pieces of the request (its buffers without header and status).</summary>
    public List<Memory<byte>> Data { get; } = [];

    /// <summary>Header, segment or id bytes copied out of guest memory, so the guest cannot change them while they are used.</summary>
    public byte[] Scratch { get; } = new byte[VirtioBlkProtocol.IdLength];

    public SplitVirtqueue? Queue { get; set; }
}
