using System.Buffers.Binary;

namespace ExportPS.Engine.Net;

/// <summary>
/// A hash that is the same for every frame of one flow, so a multiqueue device can keep a flow on one queue (and in
/// order): the IP addresses and protocol, plus the ports of TCP and UDP (unless the packet is a fragment), for IPv4 and
/// IPv6 behind an optional VLAN tag; the two Ethernet addresses for anything else.
/// </summary>
public static class NetFlowHash
{
    private const int EthernetAddressesLength = 12;
    private const ushort EtherTypeIPv4 = 0x0800;
    private const ushort EtherTypeIPv6 = 0x86dd;
    private const ushort EtherTypeVlan = 0x8100;
    private const byte ProtocolTcp = 6;
    private const byte ProtocolUdp = 17;
    private const int IPv6HeaderLength = 40;

    public static uint Of(ReadOnlySpan<byte> frame)
    {
        int at = EthernetAddressesLength;
        if (frame.Length < at + 2)
        {
            return Mix(2166136261, frame);
        }

        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[at..]);
        at += 2;
        if (etherType == EtherTypeVlan && frame.Length >= at + 4)
        {
            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[(at + 2)..]);
            at += 4;
        }

        var packet = frame[at..];
        return etherType switch
        {
            EtherTypeIPv4 when TryIPv4(packet, out uint hash) => hash,
            EtherTypeIPv6 when TryIPv6(packet, out uint hash) => hash,
            _ => Mix(2166136261, frame[..EthernetAddressesLength]),
        };
    }

    private static bool TryIPv4(ReadOnlySpan<byte> packet, out uint hash)
    {
        hash = 0;
        if (packet.Length < 20 || packet[0] >> 4 != 4)
        {
            return false;
        }

        int headerLength = (packet[0] & 0xf) * 4;
        byte protocol = packet[9];
        bool fragment = (BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x3fff) != 0;
        hash = Mix(Mix(2166136261, packet.Slice(12, 8)), [protocol]);
        hash = WithPorts(hash, packet, headerLength, protocol, fragment);
        return true;
    }

    private static bool TryIPv6(ReadOnlySpan<byte> packet, out uint hash)
    {
        hash = 0;
        if (packet.Length < IPv6HeaderLength || packet[0] >> 4 != 6)
        {
            return false;
        }

        byte nextHeader = packet[6];
        hash = Mix(Mix(2166136261, packet.Slice(8, 32)), [nextHeader]);
        hash = WithPorts(hash, packet, IPv6HeaderLength, nextHeader, fragment: false);
        return true;
    }

    /// <summary>Adds the source and destination ports of a TCP or UDP header at <paramref name="offset"/>, when whole.</summary>
    private static uint WithPorts(uint hash, ReadOnlySpan<byte> packet, int offset, byte protocol, bool fragment)
    {
        if (fragment || (protocol != ProtocolTcp && protocol != ProtocolUdp) || packet.Length < offset + 4)
        {
            return hash;
        }

        return Mix(hash, packet.Slice(offset, 4));
    }

    /// <summary>FNV-1a over <paramref name="bytes"/>, continuing from <paramref name="hash"/>.</summary>
    private static uint Mix(uint hash, ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            hash = (hash ^ b) * 16777619;
        }

        return hash;
    }
}
