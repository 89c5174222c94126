using System.Runtime.InteropServices;
using ExportPS.Engine.Interop;
using Microsoft.Win32.SafeHandles;

namespace ExportPS.Engine.VhostUser;

/// <summary>
/// A kick, call or error eventfd (non-blocking): the front-end passes them with SET_VRING_KICK/CALL/ERR; tests make
/// their own. Owns the descriptor.
/// </summary>
public sealed class EventFd : IDisposable
{
    public EventFd(SafeFileHandle handle) => Handle = handle;

    public SafeFileHandle Handle { get; }

    public static EventFd Create() =>
        new(Native.OwnedHandle(Native.EventFd(0, Native.EFD_NONBLOCK | Native.EFD_CLOEXEC), "eventfd"));

    /// <summary>Adds one to the counter, waking whoever polls the other end.</summary>
    public unsafe void Signal()
    {
        ulong one = 1;
        while (Native.Write(Handle, &one, sizeof(ulong)) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Native.EAGAIN)
            {
                // The counter is at its maximum: the reader has a wake-up pending anyway.
                return;
            }

            if (errno != Native.EINTR)
            {
                throw new IOException($"eventfd write failed: {Native.ErrorText(errno)}", errno);
            }
        }
    }

    /// <summary>Reads and resets the counter; 0 when nothing was signalled since the last read.</summary>
    public unsafe ulong Consume()
    {
        ulong count;
        while (Native.Read(Handle, &count, sizeof(ulong)) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Native.EAGAIN)
            {
                return 0;
            }

            if (errno != Native.EINTR)
            {
                throw new IOException($"eventfd read failed: {Native.ErrorText(errno)}", errno);
            }
        }

        return count;
    }

    public void Dispose() => Handle.Dispose();
}
