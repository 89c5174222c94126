using System.Buffers.Binary;

namespace ExportPS.Engine.Net;

/// <summary>
/// The virtio-net header a tap with IFF_VNET_HDR puts before each frame (struct virtio_net_hdr: flags, gso_type,
/// hdr_len, gso_size, csum_start, csum_offset; 10 bytes, 12 with num_buffers). ExportPS's other netdevs carry plain
/// Ethernet, so the header is stripped from frames read off the tap and an empty one (no checksum or segmentation
/// work asked for) is put before frames written to it.
/// </summary>
public static class VirtioNetHeader
{
    /// <summary>sizeof(struct virtio_net_hdr).</summary>
    public const int Length = 10;

    /// <summary>gso_type: none (a plain frame, not a large segment to be split).</summary>
    public const byte GsoNone = 0;

    /// <summary>flags: VIRTIO_NET_HDR_F_NEEDS_CSUM, the checksum at csum_start + csum_offset is left for the device.</summary>
    public const byte NeedsChecksum = 1;

    private const int GsoTypeOffset = 1;
    private const int ChecksumStartOffset = 6;
    private const int ChecksumOffsetOffset = 8;

    /// <summary>
    /// The frame after a header of <paramref name="headerLength"/> bytes, or false with the drop reason: a packet with
    /// no frame after the header, or a segmentation-offload packet (never handed over while the tap's offloads are off).
    /// </summary>
    public static bool TryStrip(ReadOnlySpan<byte> packet, int headerLength, out ReadOnlySpan<byte> frame, out NetDropReason reason)
    {
        frame = default;
        reason = NetDropReason.Malformed;
        if (headerLength == 0)
        {
            frame = packet;
            return packet.Length > 0;
        }

        if (packet.Length <= headerLength || packet[GsoTypeOffset] != GsoNone)
            return false;
        frame = packet[headerLength..];
        return true;
    }

    /// <summary>
    /// Finishes the checksum a header of <paramref name="headerLength"/> bytes leaves to the device (NEEDS_CSUM) in the
    /// frame after it; true also when none is asked for, false when csum_start and csum_offset point outside the frame.
    /// </summary>
    public static bool TryCompleteChecksum(Span<byte> packet, int headerLength)
    {
        if (headerLength == 0 || packet.Length <= headerLength || (packet[0] & NeedsChecksum) == 0)
            return true;
        return InternetChecksum.TryCompletePartial(packet[headerLength..],
            BinaryPrimitives.ReadUInt16LittleEndian(packet[ChecksumStartOffset..]),
            BinaryPrimitives.ReadUInt16LittleEndian(packet[ChecksumOffsetOffset..]));
    }

    /// <summary>Writes an empty header of <paramref name="headerLength"/> bytes.</summary>
    public static void WriteEmpty(Span<byte> header, int headerLength) => header[..headerLength].Clear();
}
