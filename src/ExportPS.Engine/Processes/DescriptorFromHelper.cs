using System.Diagnostics;
using System.Net.Sockets;
using ExportPS.Engine.Interop;
using ExportPS.Engine.Transport;
using Microsoft.Win32.SafeHandles;

namespace ExportPS.Engine.Processes;

/// <summary>
/// Runs a privileged helper that opens a descriptor ExportPS may not open itself and sends it back with SCM_RIGHTS over
/// a unix socketpair whose one end the helper inherits (qemu-bridge-helper's --fd=N, fusermount3's _FUSE_COMMFD=N).
/// </summary>
internal static class DescriptorFromHelper
{
    /// <param name="startInfo">The helper's command line, given the number of its end of the socketpair.</param>
    /// <param name="what">How errors name the helper.</param>
    /// <returns>The descriptor the helper sent; an IOException when it sent none, failed or took longer than <paramref name="timeout"/>.</returns>
    public static unsafe SafeFileHandle Receive(Func<int, ProcessStartInfo> startInfo, string what, TimeSpan timeout)
    {
        int* pair = stackalloc int[2];
        Native.Check(Native.SocketPair(Native.AF_UNIX, Native.SOCK_STREAM | Native.SOCK_CLOEXEC, 0, pair), "socketpair");
        using var ours = new Socket(new SafeSocketHandle(pair[0], ownsHandle: true));
        using var theirs = new SafeFileHandle(pair[1], ownsHandle: true);
        Native.Check(Native.FCntl(theirs, Native.F_SETFD, 0), "fcntl(F_SETFD)");

        using var process = HelperProcess.Start(startInfo(pair[1]), what);
        theirs.Dispose(); // the helper has its copy: once it exits the socket reads end-of-file
        using var transport = new UnixSocketTransport(ours, maxFdsPerReceive: 1);
        var fds = new List<SafeFileHandle>();
        try
        {
            using var deadline = new CancellationTokenSource(timeout);
            var buffer = new byte[1];
            int received = transport.ReceiveAsync(buffer, fds, deadline.Token).AsTask().GetAwaiter().GetResult();
            HelperProcess.WaitForSuccess(process, what, timeout);
            if (received == 0 || fds.Count != 1)
                throw new IOException($"{what} sent no descriptor");
            var descriptor = fds[0];
            fds.Clear();
            return descriptor;
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new IOException($"{what} sent no descriptor within {timeout.TotalSeconds} s");
        }
        finally
        {
            foreach (var fd in fds)
                fd.Dispose();
        }
    }
}
