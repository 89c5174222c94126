using System.Buffers;
using System.Buffers.Binary;

namespace ExportPS.Engine.Net;

/// <summary>
/// The framing of QEMU's socket (TCP) and stream (TCP and unix) netdevs: a 4-byte big-endian length, then the bare
/// Ethernet frame (no virtio-net header, no padding). Parses across partial reads without copying or allocating.
/// A bad length cannot be skipped (the next frame's start is unknown), so the caller drops the connection.
/// </summary>
public static class StreamFraming
{
    public const int HeaderLength = 4;

    /// <summary>
    /// Reads one frame from the start of <paramref name="buffer"/>. On <see cref="StreamFrameStatus.Frame"/>,
    /// <paramref name="frame"/> is the frame (a slice of the buffer) and <paramref name="buffer"/> is advanced past
    /// it; otherwise the buffer is left as it was.
    /// </summary>
    public static StreamFrameStatus TryReadFrame(
        ref ReadOnlySequence<byte> buffer, int maxFrameLength, out ReadOnlySequence<byte> frame)
    {
        frame = default;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadBigEndian(out int length))
            return StreamFrameStatus.NeedMoreData;
        if (length == 0)
            return StreamFrameStatus.EmptyFrame;
        if (length < 0 || length > maxFrameLength)
            return StreamFrameStatus.Oversize;
        if (reader.Remaining < length)
            return StreamFrameStatus.NeedMoreData;

        frame = buffer.Slice(HeaderLength, length);
        buffer = buffer.Slice(frame.End);
        return StreamFrameStatus.Frame;
    }

    /// <summary>The drop reason a bad status is counted under.</summary>
    public static NetDropReason DropReason(StreamFrameStatus status) => status switch
    {
        StreamFrameStatus.EmptyFrame => NetDropReason.Malformed,
        StreamFrameStatus.Oversize => NetDropReason.Oversize,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "not a bad frame"),
    };

    /// <summary>Writes the length prefix of a frame of <paramref name="frameLength"/> bytes.</summary>
    public static void WriteHeader(Span<byte> destination, int frameLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frameLength);
        BinaryPrimitives.WriteInt32BigEndian(destination, frameLength);
    }

    /// <summary>Writes prefix and frame into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Encode(ReadOnlySpan<byte> frame, Span<byte> destination)
    {
        WriteHeader(destination, frame.Length);
        frame.CopyTo(destination[HeaderLength..]);
        return HeaderLength + frame.Length;
    }
}
