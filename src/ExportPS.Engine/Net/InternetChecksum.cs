using System.Buffers.Binary;

namespace ExportPS.Engine.Net;

/// <summary>The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of 16-bit words.</summary>
public static class InternetChecksum
{
    /// <summary>
    /// Finishes a checksum the sender left partial, as a device does for a virtio-net frame with NEEDS_CSUM: the field at
    /// <paramref name="start"/> + <paramref name="offset"/> holds the sum of the pseudo-header, and receives the checksum
    /// of everything from <paramref name="start"/> to the end (the field included). False when the field is not inside
    /// <paramref name="frame"/>.
    /// </summary>
    public static bool TryCompletePartial(Span<byte> frame, int start, int offset)
    {
        if (start > frame.Length - 2 || offset > frame.Length - 2 - start)
        {
            return false;
        }

        ushort checksum = (ushort)~Fold(Sum(frame[start..]));
        // 0 and 0xffff are the same number in ones' complement; UDP reads 0 as "no checksum", so write the other one.
        BinaryPrimitives.WriteUInt16BigEndian(frame[(start + offset)..], checksum == 0 ? (ushort)0xffff : checksum);
        return true;
    }

    /// <summary>The ones' complement sum of <paramref name="data"/> as big-endian 16-bit words, not yet folded.</summary>
    private static ulong Sum(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        int i = 0;
        // Four words at a time: ones' complement addition is associative, so wider words fold to the same result.
        for (; i + 8 <= data.Length; i += 8)
        {
            sum += BinaryPrimitives.ReadUInt32BigEndian(data[i..]);
            sum += BinaryPrimitives.ReadUInt32BigEndian(data[(i + 4)..]);
        }

        for (; i + 2 <= data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if (i < data.Length)
        {
            sum += (ulong)data[i] << 8;
        }

        return sum;
    }

    private static ushort Fold(ulong sum)
    {
        while (sum > 0xffff)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }

        return (ushort)sum;
    }
}
