using System.Buffers.Binary;

namespace ExportPS.Engine.Net;

/// <summary>
/// The frame QEMU's announce-self sends for each MAC so switches learn where it now lives: an Ethernet broadcast with
/// ethertype RARP (0x8035) carrying a "reverse request" (opcode 3) whose sender and target hardware addresses are the
/// MAC and whose protocol addresses are zero, padded with zeros to the 60-byte Ethernet minimum.
/// </summary>
public static class RarpAnnounceFrame
{
    public const int Length = 60;
    public const ushort EtherTypeRarp = 0x8035;
    public const ushort HardwareTypeEthernet = 1;
    public const ushort ProtocolTypeIPv4 = 0x0800;
    public const ushort OpcodeReverseRequest = 3;

    /// <summary>Writes the frame for <paramref name="mac"/> into the first <see cref="Length"/> bytes.</summary>
    public static void Write(MacAddress mac, Span<byte> destination)
    {
        var frame = destination[..Length];
        frame.Clear();
        MacAddress.Broadcast.WriteTo(frame);
        mac.WriteTo(frame[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], EtherTypeRarp);

        BinaryPrimitives.WriteUInt16BigEndian(frame[14..], HardwareTypeEthernet);
        BinaryPrimitives.WriteUInt16BigEndian(frame[16..], ProtocolTypeIPv4);
        frame[18] = MacAddress.Length;
        frame[19] = 4; // IPv4 address length
        BinaryPrimitives.WriteUInt16BigEndian(frame[20..], OpcodeReverseRequest);
        mac.WriteTo(frame[22..]); // sender hardware address; sender IPv4 address stays 0.0.0.0
        mac.WriteTo(frame[32..]); // target hardware address; target IPv4 address stays 0.0.0.0
    }
}
