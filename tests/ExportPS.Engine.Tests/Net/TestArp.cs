using System.Buffers.Binary;
using System.Net;

namespace ExportPS.Engine.Tests.Net;

/// <summary>ARP over Ethernet (RFC 826) for the tap tests: a request the test sends, and the reply a kernel answers with.</summary>
internal static class TestArp
{
    public const ushort EtherType = 0x0806;
    private const ushort Request = 1;
    private const ushort Reply = 2;

    /// <summary>A broadcast "who has <paramref name="target"/>? tell <paramref name="sender"/>" from <paramref name="mac"/>.</summary>
    public static byte[] WhoHas(IPAddress target, IPAddress sender, byte[] mac)
    {
        var frame = new byte[42];
        frame.AsSpan(0, 6).Fill(0xFF);
        mac.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EtherType);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), 1); // Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), 0x0800); // IPv4
        frame[18] = 6;
        frame[19] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(20), Request);
        mac.CopyTo(frame, 22);
        sender.GetAddressBytes().CopyTo(frame, 28);
        target.GetAddressBytes().CopyTo(frame, 38);
        return frame;
    }

    /// <summary>Whether <paramref name="frame"/> is an ARP reply telling <paramref name="mac"/> where <paramref name="address"/> is.</summary>
    public static bool IsReply(ReadOnlySpan<byte> frame, IPAddress address, byte[] mac) =>
        frame.Length >= 42
        && BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) == EtherType
        && BinaryPrimitives.ReadUInt16BigEndian(frame[20..]) == Reply
        && frame[0..6].SequenceEqual(mac)
        && frame[28..32].SequenceEqual(address.GetAddressBytes());
}
