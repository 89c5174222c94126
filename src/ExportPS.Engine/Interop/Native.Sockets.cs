using System.Runtime.InteropServices;

namespace ExportPS.Engine.Interop;

/// <summary>
/// Socket calls .NET's Socket does not offer: recvmsg and sendmsg with control messages, so file descriptors travel as
/// SCM_RIGHTS next to the bytes (vhost-user memory regions and eventfds, netdev fd=); and a unix bind that .NET does not
/// remember, since a Socket that bound a path deletes whatever is at that path when it is disposed.
/// </summary>
internal static unsafe partial class Native
{
    public const int EPIPE = 32;
    public const int ECONNRESET = 104;

    public const int AF_UNIX = 1;
    public const int AF_INET = 2;
    public const int AF_INET6 = 10;
    public const int SOCK_STREAM = 1;
    public const int SOCK_RAW = 3;
    public const int SOCK_CLOEXEC = 0x80000;

    /// <summary>sizeof(struct sockaddr_un): the family, then a path of at most 107 bytes and its NUL.</summary>
    public const int UnixAddressLength = 110;
    public const int UnixPathCapacity = 108;

    public const int SOL_SOCKET = 1;
    public const int SCM_RIGHTS = 1;

    public const int MSG_CTRUNC = 0x8;
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int MSG_CMSG_CLOEXEC = 0x40000000;

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    /// <summary>struct msghdr; sequential layout gives the padding after the name length on 64-bit.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int CreateSocket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(SafeHandle socket, byte* address, int addressLength);

    [LibraryImport("libc", EntryPoint = "listen", SetLastError = true)]
    public static partial int Listen(SafeHandle socket, int backlog);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    public static partial nint ReceiveMessage(SafeHandle socket, MessageHeader* message, int flags);

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    public static partial nint SendMessage(SafeHandle socket, MessageHeader* message, int flags);
}
