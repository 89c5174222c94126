using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ExportPS.Engine.Tests.Transport;

/// <summary>File descriptors for fd-passing tests: socket pairs, memfds, pipes, and a check of what a descriptor is.</summary>
internal static class Fds
{
    private const int AfUnix = 1;
    private const int SockStream = 1;
    private const int FGetFd = 1;
    private const int FdCloExec = 1;
    private const int OCloExec = 0x80000;

    /// <summary>A connected pair of unix stream sockets, without any path.</summary>
    public static (Socket Left, Socket Right) SocketPair()
    {
        var fds = new int[2];
        Check(socketpair(AfUnix, SockStream | OCloExec, 0, fds));
        return (new Socket(new SafeSocketHandle(fds[0], ownsHandle: true)), new Socket(new SafeSocketHandle(fds[1], ownsHandle: true)));
    }

    /// <summary>An anonymous memory file of <paramref name="size"/> bytes.</summary>
    public static SafeFileHandle MemFd(long size)
    {
        int fd = memfd_create("exportps-test", 1 /* MFD_CLOEXEC */);
        Check(fd);
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        Check(ftruncate(fd, size));
        return handle;
    }

    /// <summary>A pipe: the end to read from and the end to write to.</summary>
    public static (SafeFileHandle Read, SafeFileHandle Write) Pipe()
    {
        var fds = new int[2];
        Check(pipe2(fds, OCloExec));
        return (new SafeFileHandle(fds[0], ownsHandle: true), new SafeFileHandle(fds[1], ownsHandle: true));
    }

    /// <summary>A second descriptor for the same open file.</summary>
    public static int Dup(SafeHandle handle)
    {
        int fd = dup((int)handle.DangerousGetHandle());
        Check(fd);
        return fd;
    }

    public static bool IsCloseOnExec(SafeHandle handle)
    {
        int flags = fcntl((int)handle.DangerousGetHandle(), FGetFd, 0);
        Check(flags);
        return (flags & FdCloExec) != 0;
    }

    /// <summary>True when <paramref name="fd"/> is an open descriptor of this process.</summary>
    public static bool IsOpen(int fd) => fcntl(fd, FGetFd, 0) >= 0;

    public static int Number(SafeHandle handle) => (int)handle.DangerousGetHandle();

    private static void Check(int result)
    {
        if (result < 0)
        {
            throw new IOException(Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int socketpair(int domain, int type, int protocol, int[] fds);

    [DllImport("libc", SetLastError = true)]
    private static extern int memfd_create(string name, uint flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int ftruncate(int fd, long length);

    [DllImport("libc", SetLastError = true)]
    private static extern int pipe2(int[] fds, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int dup(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int fcntl(int fd, int command, int argument);
}
