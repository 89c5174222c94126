using System.Buffers.Binary;

namespace ExportPS.Engine.Fuse;

/// <summary>struct fuse_in_header: what every request from the kernel starts with.</summary>
public readonly record struct FuseInHeader(uint Length, FuseOpcode Opcode, ulong Unique, ulong NodeId, uint Uid, uint Gid, uint Pid)
{
    public const int Size = 40;

    /// <summary>The header of <paramref name="message"/> (one whole read from /dev/fuse); false when it is too short or its length disagrees.</summary>
    public static bool TryRead(ReadOnlySpan<byte> message, out FuseInHeader header)
    {
        header = default;
        if (message.Length < Size)
        {
            return false;
        }

        header = new FuseInHeader(
            BinaryPrimitives.ReadUInt32LittleEndian(message),
            (FuseOpcode)BinaryPrimitives.ReadUInt32LittleEndian(message[4..]),
            BinaryPrimitives.ReadUInt64LittleEndian(message[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(message[16..]),
            BinaryPrimitives.ReadUInt32LittleEndian(message[24..]),
            BinaryPrimitives.ReadUInt32LittleEndian(message[28..]),
            BinaryPrimitives.ReadUInt32LittleEndian(message[32..]));
        return header.Length == message.Length;
    }
}
