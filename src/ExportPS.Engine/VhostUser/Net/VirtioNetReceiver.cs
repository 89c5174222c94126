using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ExportPS.Engine.Net;

namespace ExportPS.Engine.VhostUser.Net;

/// <summary>
/// Puts frames into the guest's receive buffers of one receive queue (virtio 1.x, 5.1.6.3/5.1.6.4): a header with no
/// offload asked for, then the frame. Without mergeable buffers a frame takes one chain whole; with them it spreads over
/// as many chains as it needs, the first header's num_buffers counting them, and all of them are published together.
/// When the guest has posted too few buffers the chains taken are given back and the frame is dropped as queue-full.
/// Every copy into a chain is a guest write of the queue (<see cref="SplitVirtqueue.TryBeginGuestWrite"/>): a chain
/// abandoned meanwhile (its front-end left, or reset the device) gets no byte, and the frame is dropped as queue-full.
/// One writer at a time (the caller serialises).
/// </summary>
public sealed class VirtioNetReceiver
{
    private const int NumBuffersOffset = VirtioNetHeader.Length;

    private readonly List<DescriptorChain> _chains = [];
    private readonly List<uint> _written = [];

    /// <summary>Writes <paramref name="frame"/> into <paramref name="queue"/>; false with the reason when it is dropped.</summary>
    public bool TryWrite(SplitVirtqueue queue, ReadOnlySpan<byte> frame, int headerLength, bool mergeable, out NetDropReason reason)
    {
        Span<byte> header = stackalloc byte[VirtioNetHeader.Length + 2];
        header = header[..headerLength];
        VirtioNetHeader.WriteEmpty(header, headerLength);
        if (headerLength > NumBuffersOffset)
        {
            // Without mergeable buffers a version 1 device still reports one buffer.
            BinaryPrimitives.WriteUInt16LittleEndian(header[NumBuffersOffset..], 1);
        }

        long total = headerLength + frame.Length;
        int used = 0;
        long position = 0;
        reason = NetDropReason.QueueFull;
        while (position < total)
        {
            var chain = Chain(used);
            if (!queue.TryPop(chain) && !(queue.EnableNotification() && queue.TryPop(chain)))
            {
                GiveBack(queue, used);
                return false;
            }

            used++;
            if (chain.Fault != DescriptorChainFault.None || chain.WritableLength == 0 || (!mergeable && chain.WritableLength < total))
            {
                // A buffer that cannot take the frame: every buffer taken for it goes back to the guest empty (a later
                // one cannot be given back alone), and the frame is dropped.
                PublishEmpty(queue, used);
                reason = mergeable || chain.Fault != DescriptorChainFault.None ? NetDropReason.Malformed : NetDropReason.Oversize;
                return false;
            }

            long room = Math.Min(chain.WritableLength, total - position);
            if (!queue.TryBeginGuestWrite(chain))
            {
                PublishEmpty(queue, used); // abandoned meanwhile: no used entry is published for them anyway
                return false;
            }

            CopyPart(chain, header, frame, position, room);
            queue.EndGuestWrite();
            _written.Add((uint)room);
            position += room;
        }

        if (used > 1)
        {
            if (!queue.TryBeginGuestWrite(_chains[0]))
            {
                PublishEmpty(queue, used);
                return false;
            }

            Span<byte> count = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(count, (ushort)used);
            GuestPieces.CopyIn(_chains[0].Writable, NumBuffersOffset, count);
            queue.EndGuestWrite();
        }

        Publish(queue, used);
        return true;
    }

    private void Publish(SplitVirtqueue queue, int used)
    {
        queue.Complete(CollectionsMarshal.AsSpan(_chains)[..used], CollectionsMarshal.AsSpan(_written));
        _written.Clear();
    }

    /// <summary>Returns the chains taken with nothing written into them.</summary>
    private void PublishEmpty(SplitVirtqueue queue, int used)
    {
        _written.Clear();
        for (int i = 0; i < used; i++)
        {
            _written.Add(0);
        }

        Publish(queue, used);
    }

    private DescriptorChain Chain(int index)
    {
        if (index == _chains.Count)
        {
            _chains.Add(new DescriptorChain());
        }

        return _chains[index];
    }

    /// <summary>Gives the chains taken for a frame that will not be written back to the ring, last first.</summary>
    private void GiveBack(SplitVirtqueue queue, int used)
    {
        for (int i = used - 1; i >= 0; i--)
        {
            queue.Unpop(_chains[i]);
        }

        _written.Clear();
    }

    /// <summary>Copies [position, position + length) of header-then-frame into the start of <paramref name="chain"/>'s buffers.</summary>
    private static void CopyPart(DescriptorChain chain, ReadOnlySpan<byte> header, ReadOnlySpan<byte> frame, long position, long length)
    {
        long at = 0;
        if (position < header.Length)
        {
            int headerPart = (int)Math.Min(header.Length - position, length);
            GuestPieces.CopyIn(chain.Writable, 0, header.Slice((int)position, headerPart));
            at = headerPart;
        }

        long framePosition = position + at - header.Length;
        GuestPieces.CopyIn(chain.Writable, at, frame.Slice((int)framePosition, (int)(length - at)));
    }
}
