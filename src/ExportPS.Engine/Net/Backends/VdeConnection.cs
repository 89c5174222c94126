using System.Runtime.InteropServices;
using System.Text;
using ExportPS.Engine.Interop;
using ExportPS.Engine.Model;
using Microsoft.Win32.SafeHandles;

namespace ExportPS.Engine.Net.Backends;

/// <summary>
/// One libvdeplug connection (VDECONN) to a VDE switch port: frames go out with vde_send and come in with vde_recv once
/// the data descriptor is readable; the control descriptor reads end-of-file when the switch drops the port. Closing
/// the handle (vde_close) gives the port back to the switch. The data descriptor is made non-blocking: a frame the switch
/// has no room for is lost, as on a wire, rather than holding the sender (and its removal) up.
/// </summary>
internal sealed unsafe class VdeConnection : SafeHandle
{
    /// <summary>How the port shows in the switch's port list (QEMU writes "QEMU").</summary>
    private const string Description = "ExportPS";

    private VdeConnection(nint connection)
        : base(0, ownsHandle: true) => SetHandle(connection);

    public override bool IsInvalid => handle == 0;

    /// <summary>The descriptor to poll for received frames.</summary>
    public int DataFd => Native.VdeDataFd(handle);

    /// <summary>The descriptor that reads end-of-file once the switch has closed the port.</summary>
    public int ControlFd => Native.VdeCtlFd(handle);

    /// <summary>Opens a port as the options ask; throws an IOException with QEMU's text when libvdeplug cannot.</summary>
    public static VdeConnection Open(VdeNetdevOptions options)
    {
        byte[]? url = NulTerminated(options.Sock);
        byte[]? group = NulTerminated(options.Group);
        nint connection;
        try
        {
            fixed (byte* urlText = url)
            fixed (byte* groupText = group)
            fixed (byte* description = NulTerminated(Description))
            {
                var args = new Native.VdeOpenArgs { Port = options.Port ?? 0, Group = groupText, Mode = options.Mode ?? VdeNetdevOptions.DefaultMode };
                connection = Native.VdeOpen(urlText, description, Native.VdeInterfaceVersion, &args);
            }
        }
        catch (DllNotFoundException e)
        {
            throw new IOException("vde netdevs need libvdeplug (libvdeplug.so.2, Debian package libvdeplug2), which is not installed", e);
        }

        if (connection == 0)
            throw new IOException($"Could not open vde: {Native.ErrorText(Marshal.GetLastPInvokeError())}");
        var opened = new VdeConnection(connection);
        var data = new SafeFileHandle(opened.DataFd, ownsHandle: false);
        int flags = Native.FCntl(data, Native.F_GETFL, 0);
        if (flags < 0 || Native.FCntl(data, Native.F_SETFL, flags | Native.O_NONBLOCK) < 0)
        {
            opened.Dispose();
            throw new IOException("fcntl(F_SETFL) on the vde data socket failed");
        }

        return opened;
    }

    /// <summary>Sends one frame; false when the switch did not take it.</summary>
    public bool Send(ReadOnlySpan<byte> frame)
    {
        fixed (byte* data = frame)
        {
            nint sent;
            while ((sent = Native.VdeSend(handle, data, (nuint)frame.Length, 0)) < 0 && Marshal.GetLastPInvokeError() == Native.EINTR)
            {
            }

            return sent >= 0;
        }
    }

    /// <summary>Receives one frame into <paramref name="buffer"/>: its length, or -1 with errno in <paramref name="errno"/>.</summary>
    public int Receive(Span<byte> buffer, out int errno)
    {
        fixed (byte* data = buffer)
        {
            int received = (int)Native.VdeRecv(handle, data, (nuint)buffer.Length, 0);
            errno = received < 0 ? Marshal.GetLastPInvokeError() : 0;
            return received;
        }
    }

    protected override bool ReleaseHandle() => Native.VdeClose(handle) == 0;

    private static byte[]? NulTerminated(string? text) => text is null ? null : Encoding.UTF8.GetBytes(text + '\0');
}
