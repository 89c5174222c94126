using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ExportPS.Engine.Interop;

/// <summary>Shared memory and event counters for vhost-user: memfd, mmap of passed fds, eventfd kicks and calls.</summary>
internal static partial class Native
{
    public const uint MFD_CLOEXEC = 0x1;

    public const int PROT_READ = 0x1;
    public const int PROT_WRITE = 0x2;
    public const int MAP_SHARED = 0x1;

    /// <summary>mmap's failure value, (void*)-1.</summary>
    public const nint MapFailed = -1;

    public const int EFD_NONBLOCK = 0x800;
    public const int EFD_CLOEXEC = 0x80000;

    [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MemFdCreate(string name, uint flags);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int FTruncate(SafeFileHandle fd, long length);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial nint MMap(nint address, nuint length, int protection, int flags, SafeFileHandle fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int MUnmap(nint address, nuint length);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initialValue, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static unsafe partial nint Read(SafeFileHandle fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static unsafe partial nint Write(SafeFileHandle fd, void* buffer, nuint count);

    /// <summary>Wraps a descriptor a syscall returned; throws with the errno text when it failed.</summary>
    public static SafeFileHandle OwnedHandle(int fd, string operation)
    {
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"{operation} failed: {ErrorText(errno)}", errno);
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }
}
