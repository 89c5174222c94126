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

    /// <summary>How long the switch has to answer the request for a port.</summary>
    public static readonly TimeSpan OpenTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Opens a port as the options ask; throws an IOException with QEMU's text when libvdeplug cannot. vde_switch never
    /// answers a request for a port past its last one, and libvdeplug waits for the answer without a limit, so the
    /// open runs on a thread of its own and the add fails after <see cref="OpenTimeout"/>; that thread is left waiting
    /// until the switch answers or goes, and closes the port if it gets one.
    /// </summary>
    public static VdeConnection Open(VdeNetdevOptions options)
    {
        var opening = Task.Factory.StartNew(() => OpenNow(options), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        if (Task.WaitAny([opening], OpenTimeout) == 0)
            return opening.GetAwaiter().GetResult();
        opening.ContinueWith(late => late.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        throw new IOException($"Could not open vde: the switch did not answer within {OpenTimeout.TotalSeconds} s"
            + (options.Port is { } port ? $" (is port {port} one of its ports?)" : ""));
    }

    private static VdeConnection OpenNow(VdeNetdevOptions options)
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
