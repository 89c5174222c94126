using System.Diagnostics;
using System.Globalization;
using ExportPS.Engine.Processes;
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
    public static SafeFileHandle Run(string helper, string bridge) =>
        DescriptorFromHelper.Receive(fd => StartInfo(helper, bridge, fd), $"bridge helper {helper}", Timeout);

    private static ProcessStartInfo StartInfo(string helper, string bridge, int fd)
    {
        string fdArgument = "--fd=" + fd.ToString(CultureInfo.InvariantCulture);
        if (helper.Contains(' ') || helper.Contains('\t'))
        {
            string command = $"{helper} --use-vnet {fdArgument}" + (helper.Contains("--br=", StringComparison.Ordinal) ? "" : $" --br={bridge}");
            return new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", command } };
        }

        return new ProcessStartInfo(helper) { ArgumentList = { "--use-vnet", fdArgument, "--br=" + bridge } };
    }
}
