using System.Buffers;
using System.Buffers.Binary;
using ExportPS.Engine.Net;
using ExportPS.Engine.Net.Backends;

namespace ExportPS.Fuzz.Targets;

/// <summary>
/// The netdev codecs on one received packet or byte stream: stream framing (the 4-byte length prefix, read across
/// segment boundaries, every frame encoded again to the same bytes), the datagram check, the virtio-net header strip of a
/// tap, and the L2TPv3 unwrapping of an l2tpv3 netdev (raw IP or UDP, with cookie, counter and offset as configured).
/// These codecs refuse by status, never by exception.
/// <para>
/// Input: byte 0 the setup (bit 0 UDP, bits 1-2 cookie length 0/4/8, bit 3 counter, bit 4 the raw socket's IPv4
/// header, bit 5 a 12-byte virtio-net header instead of 10); byte 1 the L2TPv3 offset; bytes 2-5 the receive session,
/// 6-13 the receive cookie; bytes 14-15 where the stream splits into segments; the rest is the packet or stream.
/// </para>
/// </summary>
internal static class NetdevFramesTarget
{
    private const int SetupLength = 16;
    private const int MaxFrameLength = 65536;

    public static void Run(byte[] input)
    {
        if (input.Length < SetupLength)
        {
            return;
        }

        byte setup = input[0];
        var data = input.AsSpan(SetupLength);
        ReadStream(data, input[14], input[15]);
        DatagramFraming.IsFrame(data.Length, MaxFrameLength, out _);
        VirtioNetHeader.TryStrip(data, (setup & 32) != 0 ? 12 : VirtioNetHeader.Length, out _, out _);

        int cookieLength = ((setup >> 1) & 3) switch { 0 => 0, 1 => 4, _ => 8 };
        var header = new L2tpv3Header((setup & 1) != 0, cookieLength, (setup & 8) != 0, pinCounter: false, input[1],
            txSession: 1, BinaryPrimitives.ReadUInt32BigEndian(input.AsSpan(2)), txCookie: 0, BinaryPrimitives.ReadUInt64BigEndian(input.AsSpan(6)));
        var packet = data.ToArray();
        if (new L2tpv3Encapsulation(header, (setup & 16) != 0).TryUnwrap(packet, out var frame))
        {
            _ = packet[frame];
        }
    }

    /// <summary>Reads frames off <paramref name="stream"/> cut in up to three segments until it needs more data or a bad length.</summary>
    private static void ReadStream(ReadOnlySpan<byte> stream, int firstCut, int secondCut)
    {
        var buffer = Segments(stream, Math.Min(firstCut, stream.Length), Math.Min(firstCut + secondCut, stream.Length));
        var encoded = new byte[StreamFraming.HeaderLength + MaxFrameLength];
        while (true)
        {
            var before = buffer;
            var status = StreamFraming.TryReadFrame(ref buffer, MaxFrameLength, out var frame);
            if (status == StreamFrameStatus.NeedMoreData)
            {
                return;
            }

            if (status != StreamFrameStatus.Frame)
            {
                StreamFraming.DropReason(status);
                return;
            }

            int length = StreamFraming.Encode(frame.ToArray(), encoded);
            if (!before.Slice(0, length).ToArray().AsSpan().SequenceEqual(encoded.AsSpan(0, length)))
            {
                throw new FuzzBugException("a frame read off the stream does not encode back to the bytes it came from");
            }
        }
    }

    private static ReadOnlySequence<byte> Segments(ReadOnlySpan<byte> stream, int firstCut, int secondCut)
    {
        var first = new Segment(stream[..firstCut].ToArray(), 0);
        var second = first.Append(stream[firstCut..secondCut].ToArray());
        var third = second.Append(stream[secondCut..].ToArray());
        return new ReadOnlySequence<byte>(first, 0, third, third.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] data, long runningIndex)
        {
            Memory = data;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] data)
        {
            var next = new Segment(data, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
