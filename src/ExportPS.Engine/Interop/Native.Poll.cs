using System.Runtime.InteropServices;

namespace ExportPS.Engine.Interop;

/// <summary>poll(2): waits on descriptors .NET has no async wait for (vhost-user kick eventfds).</summary>
internal static unsafe partial class Native
{
    public const short POLLIN = 0x1;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMs);
}
