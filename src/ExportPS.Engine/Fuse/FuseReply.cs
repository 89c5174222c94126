using System.Buffers.Binary;

namespace ExportPS.Engine.Fuse;

/// <summary>
/// Replies to the kernel: struct fuse_out_header and the reply body, composed in place. Each method writes one whole
/// message at the start of <c>destination</c> and returns its length.
/// </summary>
public static class FuseReply
{
    public const int HeaderSize = 16;

    /// <summary>The kernel version this implementation speaks: 7.31 (max_pages, FALLOCATE, LSEEK and parallel dirops are all older).</summary>
    public const uint Major = 7;
    public const uint Minor = 31;

    // INIT flags (fuse_init_in/out.flags).
    public const uint AsyncRead = 1 << 0;
    public const uint BigWrites = 1 << 5;
    public const uint AsyncDio = 1 << 15;
    public const uint MaxPages = 1 << 22;

    // OPEN reply flags.
    public const uint DirectIo = 1 << 0;
    public const uint ParallelDirectWrites = 1 << 6;

    /// <summary>A body-less reply: success (0) or a failure's errno.</summary>
    public static int Status(Span<byte> destination, ulong unique, int errno) => Header(destination, unique, HeaderSize, -errno);

    /// <summary>The header of a successful reply whose <paramref name="bodyLength"/> bytes the caller wrote after it.</summary>
    public static int Data(Span<byte> destination, ulong unique, int bodyLength) => Header(destination, unique, HeaderSize + bodyLength, 0);

    /// <summary>struct fuse_init_out.</summary>
    public static int Init(Span<byte> destination, ulong unique, uint minor, uint maxReadahead, uint flags, uint maxWrite, ushort maxPages,
        ushort maxBackground)
    {
        var body = Body(destination, 64);
        BinaryPrimitives.WriteUInt32LittleEndian(body, Major);
        BinaryPrimitives.WriteUInt32LittleEndian(body[4..], minor);
        BinaryPrimitives.WriteUInt32LittleEndian(body[8..], maxReadahead);
        BinaryPrimitives.WriteUInt32LittleEndian(body[12..], flags);
        BinaryPrimitives.WriteUInt16LittleEndian(body[16..], maxBackground);
        BinaryPrimitives.WriteUInt16LittleEndian(body[18..], (ushort)(maxBackground * 3 / 4)); // congestion threshold
        BinaryPrimitives.WriteUInt32LittleEndian(body[20..], maxWrite);
        BinaryPrimitives.WriteUInt32LittleEndian(body[24..], 1); // time granularity: 1 ns
        BinaryPrimitives.WriteUInt16LittleEndian(body[28..], maxPages);
        return Data(destination, unique, 64);
    }

    /// <summary>An INIT reply that only names the major version, asking a newer kernel to retry with it.</summary>
    public static int InitVersionOnly(Span<byte> destination, ulong unique)
    {
        var body = Body(destination, 8);
        BinaryPrimitives.WriteUInt32LittleEndian(body, Major);
        BinaryPrimitives.WriteUInt32LittleEndian(body[4..], Minor);
        return Data(destination, unique, 8);
    }

    /// <summary>struct fuse_attr_out (GETATTR, SETATTR).</summary>
    public static int Attr(Span<byte> destination, ulong unique, in FuseAttr attr, uint validSeconds)
    {
        var body = Body(destination, 16 + FuseAttr.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(body, validSeconds);
        BinaryPrimitives.WriteUInt64LittleEndian(body[8..], 0);
        attr.Write(body[16..]);
        return Data(destination, unique, 16 + FuseAttr.Length);
    }

    /// <summary>struct fuse_open_out.</summary>
    public static int Open(Span<byte> destination, ulong unique, ulong handle, uint openFlags)
    {
        var body = Body(destination, 16);
        BinaryPrimitives.WriteUInt64LittleEndian(body, handle);
        BinaryPrimitives.WriteUInt64LittleEndian(body[8..], openFlags);
        return Data(destination, unique, 16);
    }

    /// <summary>struct fuse_write_out: how many bytes were written.</summary>
    public static int Write(Span<byte> destination, ulong unique, uint written)
    {
        var body = Body(destination, 8);
        BinaryPrimitives.WriteUInt64LittleEndian(body, written);
        return Data(destination, unique, 8);
    }

    /// <summary>struct fuse_lseek_out.</summary>
    public static int LSeek(Span<byte> destination, ulong unique, long offset)
    {
        var body = Body(destination, 8);
        BinaryPrimitives.WriteInt64LittleEndian(body, offset);
        return Data(destination, unique, 8);
    }

    /// <summary>struct fuse_statfs_out (struct fuse_kstatfs).</summary>
    public static int StatFs(Span<byte> destination, ulong unique, ulong blocks, ulong freeBlocks, uint blockSize)
    {
        var body = Body(destination, 80);
        BinaryPrimitives.WriteUInt64LittleEndian(body, blocks);
        BinaryPrimitives.WriteUInt64LittleEndian(body[8..], freeBlocks);
        BinaryPrimitives.WriteUInt64LittleEndian(body[16..], freeBlocks);
        BinaryPrimitives.WriteUInt64LittleEndian(body[24..], 1); // files
        BinaryPrimitives.WriteUInt32LittleEndian(body[40..], blockSize);
        BinaryPrimitives.WriteUInt32LittleEndian(body[44..], 255); // name length
        BinaryPrimitives.WriteUInt32LittleEndian(body[48..], blockSize); // fragment size
        return Data(destination, unique, 80);
    }

    /// <summary>The body area after the header, cleared.</summary>
    private static Span<byte> Body(Span<byte> destination, int length)
    {
        var body = destination.Slice(HeaderSize, length);
        body.Clear();
        return body;
    }

    private static int Header(Span<byte> destination, ulong unique, int length, int error)
    {
        BinaryPrimitives.WriteInt32LittleEndian(destination, length);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], error);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], unique);
        return length;
    }
}
