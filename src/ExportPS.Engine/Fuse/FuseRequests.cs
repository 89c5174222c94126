using System.Buffers.Binary;

namespace ExportPS.Engine.Fuse;

/// <summary>struct fuse_init_in (its first, version-independent part).</summary>
public readonly record struct FuseInitIn(uint Major, uint Minor, uint MaxReadahead, uint Flags)
{
    public static FuseInitIn Read(ReadOnlySpan<byte> body)
    {
        FuseBody.Require(body, 16, "INIT");
        return new(U32(body, 0), U32(body, 4), U32(body, 8), U32(body, 12));
    }

    private static uint U32(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b[at..]);
}

/// <summary>struct fuse_open_in: the open(2) flags.</summary>
public readonly record struct FuseOpenIn(uint Flags)
{
    public static FuseOpenIn Read(ReadOnlySpan<byte> body)
    {
        FuseBody.Require(body, 8, "OPEN");
        return new(BinaryPrimitives.ReadUInt32LittleEndian(body));
    }
}

/// <summary>struct fuse_read_in.</summary>
public readonly record struct FuseReadIn(ulong Handle, long Offset, uint Size)
{
    public static FuseReadIn Read(ReadOnlySpan<byte> body)
    {
        FuseBody.Require(body, 40, "READ");
        return new(BinaryPrimitives.ReadUInt64LittleEndian(body), FuseBody.Offset(body, 8), BinaryPrimitives.ReadUInt32LittleEndian(body[16..]));
    }
}

/// <summary>struct fuse_write_in and the data after it; <see cref="Flags"/> are the file's open(2) flags (O_DSYNC asks for durable writes).</summary>
public readonly record struct FuseWriteIn(ulong Handle, long Offset, uint Size, uint Flags)
{
    public const int Length = 40;

    public static FuseWriteIn Read(ReadOnlySpan<byte> body)
    {
        FuseBody.Require(body, Length, "WRITE");
        var write = new FuseWriteIn(BinaryPrimitives.ReadUInt64LittleEndian(body), FuseBody.Offset(body, 8),
            BinaryPrimitives.ReadUInt32LittleEndian(body[16..]), BinaryPrimitives.ReadUInt32LittleEndian(body[32..]));
        if (body.Length - Length != write.Size)
        {
            throw new FuseProtocolException(FuseErrno.EINVAL, $"WRITE of {write.Size} bytes carries {body.Length - Length}");
        }

        return write;
    }
}

/// <summary>struct fuse_setattr_in: <see cref="Valid"/> says which attributes change (FATTR_*).</summary>
public readonly record struct FuseSetAttrIn(uint Valid, long Size, uint Mode, uint Uid, uint Gid)
{
    public const uint ModeBit = 1 << 0;
    public const uint UidBit = 1 << 1;
    public const uint GidBit = 1 << 2;
    public const uint SizeBit = 1 << 3;
    public const uint ATime = 1 << 4;
    public const uint MTime = 1 << 5;
    public const uint HandleBit = 1 << 6;
    public const uint ATimeNow = 1 << 7;
    public const uint MTimeNow = 1 << 8;
    public const uint LockOwner = 1 << 9;
    public const uint CTime = 1 << 10;
    public const uint KillSuidGid = 1 << 11;

    public static FuseSetAttrIn Read(ReadOnlySpan<byte> body)
    {
        FuseBody.Require(body, 88, "SETATTR");
        return new(BinaryPrimitives.ReadUInt32LittleEndian(body), FuseBody.Offset(body, 16),
            BinaryPrimitives.ReadUInt32LittleEndian(body[68..]), BinaryPrimitives.ReadUInt32LittleEndian(body[76..]),
            BinaryPrimitives.ReadUInt32LittleEndian(body[80..]));
    }
}

/// <summary>struct fuse_release_in (RELEASE): the handle OPEN gave.</summary>
public readonly record struct FuseReleaseIn(ulong Handle)
{
    public static FuseReleaseIn Read(ReadOnlySpan<byte> body)
    {
        FuseBody.Require(body, 24, "RELEASE");
        return new(BinaryPrimitives.ReadUInt64LittleEndian(body));
    }
}

/// <summary>struct fuse_fallocate_in: <see cref="Mode"/> holds fallocate(2)'s FALLOC_FL_* flags.</summary>
public readonly record struct FuseFAllocateIn(ulong Handle, long Offset, long Length, uint Mode)
{
    public const uint KeepSize = 0x01;
    public const uint PunchHole = 0x02;
    public const uint ZeroRange = 0x10;

    public static FuseFAllocateIn Read(ReadOnlySpan<byte> body)
    {
        FuseBody.Require(body, 32, "FALLOCATE");
        return new(BinaryPrimitives.ReadUInt64LittleEndian(body), FuseBody.Offset(body, 8), FuseBody.Offset(body, 16),
            BinaryPrimitives.ReadUInt32LittleEndian(body[24..]));
    }
}

/// <summary>struct fuse_lseek_in: only SEEK_DATA and SEEK_HOLE reach the file system.</summary>
public readonly record struct FuseLSeekIn(ulong Handle, long Offset, uint Whence)
{
    public const uint SeekData = 3;
    public const uint SeekHole = 4;

    public static FuseLSeekIn Read(ReadOnlySpan<byte> body)
    {
        FuseBody.Require(body, 24, "LSEEK");
        return new(BinaryPrimitives.ReadUInt64LittleEndian(body), FuseBody.Offset(body, 8), BinaryPrimitives.ReadUInt32LittleEndian(body[16..]));
    }
}

/// <summary>Checks shared by the request bodies.</summary>
internal static class FuseBody
{
    public static void Require(ReadOnlySpan<byte> body, int length, string what)
    {
        if (body.Length < length)
        {
            throw new FuseProtocolException(FuseErrno.EINVAL, $"{what} request body of {body.Length} bytes, at least {length} expected");
        }
    }

    /// <summary>A file offset or length: the kernel's u64, which must fit a signed 64-bit offset.</summary>
    public static long Offset(ReadOnlySpan<byte> body, int at)
    {
        ulong value = BinaryPrimitives.ReadUInt64LittleEndian(body[at..]);
        return value > long.MaxValue
            ? throw new FuseProtocolException(FuseErrno.EINVAL, $"Offset or length {value} is out of range")
            : (long)value;
    }
}
