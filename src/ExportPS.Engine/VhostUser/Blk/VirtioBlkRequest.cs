using System.Buffers;

namespace ExportPS.Engine.VhostUser.Blk;

/// <summary>A virtio-blk request being served: the chain taken off the queue and scratch space; pooled and reused.</summary>
internal sealed class VirtioBlkRequest
{
    private bool _writingGuest;

    public DescriptorChain Chain { get; } = new();

    /// <summary>The data pieces of the request (its buffers without header and status).</summary>
    public List<Memory<byte>> Data { get; } = [];

    /// <summary>Header, segment or id bytes copied out of guest memory, so the guest cannot change them while they are used.</summary>
    public byte[] Scratch { get; } = new byte[VirtioBlkProtocol.IdLength];

    /// <summary>Where a read from a node that may hold it lands before it is copied into the guest buffers; null otherwise.</summary>
    public byte[]? Bounce { get; private set; }

    public SplitVirtqueue? Queue { get; set; }

    /// <summary>Begins (or stays in) the queue's guest write for the chain: false once the chain was abandoned.</summary>
    public bool TryBeginGuestWrite()
    {
        _writingGuest = _writingGuest || Queue!.TryBeginGuestWrite(Chain);
        return _writingGuest;
    }

    /// <summary>Ends the guest write, if one was begun.</summary>
    public void EndGuestWrite()
    {
        if (_writingGuest)
        {
            _writingGuest = false;
            Queue!.EndGuestWrite();
        }
    }

    public byte[] RentBounce(int length) => Bounce = ArrayPool<byte>.Shared.Rent(length);

    public void ReturnBounce()
    {
        if (Bounce is { } bounce)
        {
            Bounce = null;
            ArrayPool<byte>.Shared.Return(bounce);
        }
    }
}
