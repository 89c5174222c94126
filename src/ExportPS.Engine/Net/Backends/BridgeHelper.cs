using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using ExportPS.Engine.Interop;
using ExportPS.Engine.Transport;
using Microsoft.Win32.SafeHandles;

namespace ExportPS.Engine.Net.Backends;

/// <summary>
/// Runs a bridge helper as QEMU does (Debian's /usr/lib/qemu/qemu-bridge-helper by default): over a unix socketpair
/// whose one end it inherits as --fd=N, the helper creates a tap, attaches it to bridge --br=NAME (when its ACL,
/// /etc/qemu/bridge.conf, allows) and sends the tap's descriptor back with SCM_RIGHTS; --use-vnet asks for a virtio-net
/// header. A helper given with arguments (it has blanks) runs through /bin/sh, with --br= added unless it has one.
/// </summary>
internal static class BridgeHelper
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs the helper and returns the tap descriptor it sent; throws an IOException when it fails.</summary>
    public static unsafe SafeFileHandle Run(string helper, string bridge)
    {
        int* pair = stackalloc int[2];
        Native.Check(Native.SocketPair(Native.AF_UNIX, Native.SOCK_STREAM | Native.SOCK_CLOEXEC, 0, pair), "socketpair");
        using var ours = new Socket(new SafeSocketHandle(pair[0], ownsHandle: true));
        using var theirs = new SafeFileHandle(pair[1], ownsHandle: true);
        Native.Check(Native.FCntl(theirs, Native.F_SETFD, 0), "fcntl(F_SETFD)");

        using var process = Start(helper, bridge, pair[1]);
        theirs.Dispose(); // the helper has its copy: once it exits the socket reads end-of-file
        using var transport = new UnixSocketTransport(ours, maxFdsPerReceive: 1);
        var fds = new List<SafeFileHandle>();
        try
        {
            using var timeout = new CancellationTokenSource(Timeout);
            var buffer = new byte[1];
            int received = transport.ReceiveAsync(buffer, fds, timeout.Token).AsTask().GetAwaiter().GetResult();
            HelperProcess.WaitForSuccess(process, $"bridge helper {helper}", Timeout);
            if (received == 0 || fds.Count != 1)
                throw new IOException($"bridge helper {helper} sent no tap descriptor");
            var tap = fds[0];
            fds.Clear();
            return tap;
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new IOException($"bridge helper {helper} sent no tap descriptor within {Timeout.TotalSeconds} s");
        }
        finally
        {
            foreach (var fd in fds)
                fd.Dispose();
        }
    }

    private static Process Start(string helper, string bridge, int fd)
    {
        string fdArgument = "--fd=" + fd.ToString(CultureInfo.InvariantCulture);
        ProcessStartInfo start;
        if (helper.Contains(' ') || helper.Contains('\t'))
        {
            string command = $"{helper} --use-vnet {fdArgument}" + (helper.Contains("--br=", StringComparison.Ordinal) ? "" : $" --br={bridge}");
            start = new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", command } };
        }
        else
        {
            start = new ProcessStartInfo(helper) { ArgumentList = { "--use-vnet", fdArgument, "--br=" + bridge } };
        }

        return HelperProcess.Start(start, $"bridge helper {helper}");
    }
}
