using System.Buffers.Binary;
using System.Text;
using static ExportPS.Engine.Exports.Nbd.NbdProtocol;

namespace ExportPS.Fuzz.Targets;

/// <summary>
/// The NBD transmission phase as the server runs it (the whole connection: handshake, request loop, request
/// processing, replies), all of it on the fuzz thread (<see cref="FuzzThread"/>: the input is there at once, sends
/// complete at once, and every continuation runs here in order), so one input always takes the same edges. The first
/// input byte picks the negotiation the target performs for the client (bits 0-1: simple, structured or extended
/// replies; bit 2: base:allocation selected); the rest is the request stream. The connection swallows every failure
/// (it ends), so the <see cref="BugWatch"/> is what sees a bug.
/// </summary>
internal static class NbdRequestsTarget
{
    public static void Run(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }

        byte[] stream = [.. Negotiation(input[0]), .. input.AsSpan(1)];
        using var server = new NbdServerUnderTest();
        using (BugWatch.Open())
        {
            new FuzzThread().Run(server.Connect(stream).RunAsync, "the NBD connection");
        }
    }

    /// <summary>What a client sends up to the transmission phase for the negotiation <paramref name="choice"/> names.</summary>
    public static byte[] Negotiation(byte choice)
    {
        var bytes = new List<byte>();
        bytes.AddRange(BigEndian32(ClientFlagFixedNewstyle | ClientFlagNoZeroes));
        switch (choice & 3)
        {
            case 1:
                bytes.AddRange(Option(OptStructuredReply, []));
                break;
            case 2:
            case 3:
                bytes.AddRange(Option(OptExtendedHeaders, []));
                break;
        }

        byte[] name = Encoding.ASCII.GetBytes(NbdServerUnderTest.ExportName);
        if ((choice & 4) != 0)
        {
            byte[] query = Encoding.ASCII.GetBytes("base:allocation");
            bytes.AddRange(Option(OptSetMetaContext, [.. BigEndian32((uint)name.Length), .. name, .. BigEndian32(1), .. BigEndian32((uint)query.Length), .. query]));
        }

        bytes.AddRange(Option(OptGo, [.. BigEndian32((uint)name.Length), .. name, 0, 0]));
        return [.. bytes];
    }

    private static byte[] Option(uint option, byte[] data)
    {
        var header = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(header, OptionMagic);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), option);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(12), (uint)data.Length);
        return [.. header, .. data];
    }

    private static byte[] BigEndian32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }
}
