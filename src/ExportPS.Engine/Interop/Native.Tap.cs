using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ExportPS.Engine.Interop;

/// <summary>
/// TAP devices (/dev/net/tun and its ioctls, struct ifreq) and what the bridge helper needs: a socketpair whose one end
/// the helper inherits (fcntl clears its close-on-exec flag).
/// </summary>
internal static unsafe partial class Native
{
    public const string TunDevicePath = "/dev/net/tun";

    /// <summary>IFNAMSIZ: an interface name and its NUL.</summary>
    public const int InterfaceNameCapacity = 16;

    public const short IFF_TUN = 0x0001;
    public const short IFF_TAP = 0x0002;
    public const short IFF_MULTI_QUEUE = 0x0100;
    public const short IFF_NO_PI = 0x1000;
    public const short IFF_VNET_HDR = 0x4000;

    public const uint TUNSETIFF = 0x400454ca;
    public const uint TUNGETIFF = 0x800454d2;
    public const uint TUNSETOFFLOAD = 0x400454d0;
    public const uint TUNSETSNDBUF = 0x400454d4;
    public const uint TUNGETVNETHDRSZ = 0x800454d7;
    public const uint TUNSETVNETHDRSZ = 0x400454d8;

    public const int F_GETFD = 1;
    public const int F_SETFD = 2;
    public const int FD_CLOEXEC = 1;

    /// <summary>struct ifreq as the tun ioctls use it: the name, then the flags (the rest of the union unused).</summary>
    [StructLayout(LayoutKind.Sequential, Size = 40)]
    public struct InterfaceRequest
    {
        public fixed byte Name[InterfaceNameCapacity];
        public short Flags;
    }

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int IoCtl(SafeFileHandle fd, nuint request, void* argument);

    [LibraryImport("libc", EntryPoint = "socketpair", SetLastError = true)]
    public static partial int SocketPair(int domain, int type, int protocol, int* fds);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static partial int FCntl(SafeHandle fd, int command, int argument);

    /// <summary>Throws an <see cref="IOException"/> with the errno text when a call returned -1.</summary>
    public static void Check(int result, string operation)
    {
        if (result < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"{operation} failed: {ErrorText(errno)}", errno);
        }
    }
}
