using System.Buffers.Binary;
using ExportPS.Engine.Net;

namespace ExportPS.Engine.Tests.Net;

/// <summary>Ethernet-shaped test frames whose bytes tell them apart.</summary>
internal static class TestFrames
{
    public static byte[] Make(int length, byte seed)
    {
        var frame = new byte[length];
        for (var i = 0; i < length; i++)
            frame[i] = (byte)(seed + i * 7);
        return frame;
    }

    /// <summary>An Ethernet frame from a fixed source to broadcast with the given ethertype and length.</summary>
    public static byte[] Ethernet(ushort etherType, int length)
    {
        var frame = Make(length, (byte)etherType);
        MacAddress.Broadcast.WriteTo(frame);
        MacAddress.Parse("52:54:00:77:00:01").WriteTo(frame.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), etherType);
        return frame;
    }
}
