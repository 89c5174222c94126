using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ExportPS.Engine.Interop;

/// <summary>File syscalls for the file block driver: open flags .NET does not offer (O_DIRECT), hole punching, holes, sync, stat.</summary>
internal static partial class Native
{
    public const int ENOENT = 2;
    public const int ENXIO = 6;
    public const int EINTR = 4;
    public const int ENOSPC = 28;
    public const int EOPNOTSUPP = 95;
    public const int EDQUOT = 122;

    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_RDWR = 2;
    public const int O_CREAT = 0x40;
    public const int O_TRUNC = 0x200;
    public const int O_CLOEXEC = 0x80000;

    /// <summary>O_DIRECT is one of the few flags whose value differs between architectures.</summary>
    public static int O_DIRECT => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x10000 : 0x4000;

    public const int FALLOC_FL_KEEP_SIZE = 0x01;
    public const int FALLOC_FL_PUNCH_HOLE = 0x02;
    public const int FALLOC_FL_ZERO_RANGE = 0x10;

    public const int SEEK_DATA = 3;
    public const int SEEK_HOLE = 4;

    public const int AT_FDCWD = -100;
    public const int AT_EMPTY_PATH = 0x1000;
    public const uint STATX_TYPE = 0x1;
    public const uint STATX_INO = 0x100;
    public const uint STATX_SIZE = 0x200;
    public const uint STATX_BLOCKS = 0x400;
    public const uint STATX_DIOALIGN = 0x2000;
    public const int S_IFMT = 0xF000;
    public const int S_IFREG = 0x8000;
    public const int S_IFSOCK = 0xC000;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;

    /// <summary>
    /// The kernel's struct statx (the same on every architecture, unlike struct stat), with the fields ExportPS reads.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    public struct StatX
    {
        [FieldOffset(0)] public uint Mask;
        [FieldOffset(4)] public uint BlockSize;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Inode;
        [FieldOffset(40)] public long Size;
        [FieldOffset(48)] public long Blocks;
        [FieldOffset(152)] public uint DioMemAlign;
        [FieldOffset(156)] public uint DioOffsetAlign;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    public static partial int FAllocate(SafeFileHandle fd, int mode, long offset, long length);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    public static partial long LSeek(SafeFileHandle fd, long offset, int whence);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    public static partial int FDataSync(SafeFileHandle fd);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int StatPath(int dirFd, string path, int flags, uint mask, out StatX buffer);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int StatHandle(SafeFileHandle fd, string path, int flags, uint mask, out StatX buffer);

    /// <summary>strerror text of an errno, as QEMU prints it.</summary>
    public static string ErrorText(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
