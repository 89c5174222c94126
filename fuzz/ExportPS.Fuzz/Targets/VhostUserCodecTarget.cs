using ExportPS.Engine.VhostUser;
using Microsoft.Win32.SafeHandles;

namespace ExportPS.Fuzz.Targets;

/// <summary>
/// The vhost-user message codec as a back-end reads a front-end: the input is a sequence of messages, each one byte
/// giving how many file descriptors came with it (low 4 bits; /dev/null stands in for them), then the 12-byte header and
/// the payload the header announces. A refused header ends the stream (the session drops the front-end); a refused
/// payload is <see cref="VhostUserProtocolException"/>. Every message parsed is encoded again, and the encoding must
/// parse back to the same bytes.
/// </summary>
internal static class VhostUserCodecTarget
{
    public static void Run(byte[] input)
    {
        var rest = input.AsSpan();
        var encoded = new byte[VhostUserCodec.MaxPayloadSize + VhostUserHeader.Length];
        while (rest.Length >= 1 + VhostUserHeader.Length)
        {
            int fdCount = rest[0] & 0xf;
            VhostUserHeader header;
            try
            {
                header = VhostUserCodec.ParseHeader(rest.Slice(1, VhostUserHeader.Length));
            }
            catch (VhostUserProtocolException)
            {
                return;
            }

            rest = rest[(1 + VhostUserHeader.Length)..];
            var payload = rest[..Math.Min((int)header.Size, rest.Length)];
            rest = rest[payload.Length..];
            try
            {
                using var message = VhostUserCodec.Parse(header, payload, NullFds(fdCount));
                int length = VhostUserCodec.Encode(header, message.Payload, encoded);
                CheckRoundTrip(encoded.AsSpan(0, length), message.FdCount);
            }
            catch (VhostUserProtocolException)
            {
            }
        }
    }

    private static void CheckRoundTrip(ReadOnlySpan<byte> encoded, int fdCount)
    {
        var header = VhostUserCodec.ParseHeader(encoded);
        using var again = VhostUserCodec.Parse(header, encoded[VhostUserHeader.Length..], NullFds(fdCount));
        var reencoded = new byte[VhostUserCodec.EncodedLength(again.Payload)];
        VhostUserCodec.Encode(header, again.Payload, reencoded);
        if (!reencoded.AsSpan().SequenceEqual(encoded))
        {
            throw new FuzzBugException($"{header.Request}: the encoding of a parsed message does not parse back to itself");
        }
    }

    private static SafeFileHandle[] NullFds(int count) =>
        Enumerable.Range(0, count).Select(_ => File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite)).ToArray();
}
