using System.Buffers.Binary;

namespace ExportPS.Engine.Fuse;

/// <summary>struct fuse_attr: what stat(2) shows for the exported file.</summary>
public readonly record struct FuseAttr(ulong Inode, long Size, long Blocks, long Time, uint Mode, uint Uid, uint Gid, uint BlockSize)
{
    public const int Length = 88;

    public void Write(Span<byte> destination)
    {
        destination[..Length].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(destination, Inode);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], Size);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], Blocks);
        BinaryPrimitives.WriteInt64LittleEndian(destination[24..], Time);
        BinaryPrimitives.WriteInt64LittleEndian(destination[32..], Time);
        BinaryPrimitives.WriteInt64LittleEndian(destination[40..], Time);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[60..], Mode);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[64..], 1); // nlink
        BinaryPrimitives.WriteUInt32LittleEndian(destination[68..], Uid);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[72..], Gid);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[80..], BlockSize);
    }
}
