using System.Diagnostics;
using System.Globalization;
using ExportPS.Engine.Interop;
using ExportPS.Engine.Processes;
using Microsoft.Win32.SafeHandles;

namespace ExportPS.Engine.Exports.Fuse;

/// <summary>
/// Mounting and unmounting through fusermount3, for a user who may not call mount(2): it opens /dev/fuse, mounts it on
/// the file (which the user must own and may write, as it checks) and sends the connection back over the socketpair
/// named by _FUSE_COMMFD. It adds fd=, rootmode=, user_id= and group_id= itself, and nosuid and nodev for a user.
/// </summary>
internal static class FusermountMount
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>fusermount3 on PATH; null when it is not installed.</summary>
    public static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, "fusermount3"))
            .FirstOrDefault(File.Exists);

    /// <summary>Mounts a new connection on <paramref name="path"/> and returns it (non-blocking, as the export reads it); an IOException when fusermount3 fails.</summary>
    public static SafeFileHandle Mount(string fusermount, string path, bool readOnly, bool allowOther)
    {
        string options = $"default_permissions,fsname=exportps,subtype=exportps{(allowOther ? ",allow_other" : string.Empty)}{(readOnly ? ",ro" : string.Empty)}";
        var device = DescriptorFromHelper.Receive(fd =>
        {
            var start = new ProcessStartInfo(fusermount) { ArgumentList = { "-o", options, "--", path } };
            start.Environment["_FUSE_COMMFD"] = fd.ToString(CultureInfo.InvariantCulture);
            return start;
        }, "fusermount3", Timeout);
        int flags = Native.FCntl(device, Native.F_GETFL, 0);
        if (flags < 0 || Native.FCntl(device, Native.F_SETFL, flags | Native.O_NONBLOCK) < 0)
        {
            device.Dispose();
            throw new IOException("fcntl(F_SETFL) on the FUSE connection failed");
        }

        return device;
    }

    /// <summary>Detaches the mount (fusermount3 -u -z); a failure leaves it for the kernel to drop once the connection closes.</summary>
    public static void Detach(string fusermount, string path)
    {
        try
        {
            using var process = HelperProcess.Start(new ProcessStartInfo(fusermount) { ArgumentList = { "-u", "-z", "--", path } }, "fusermount3 -u");
            HelperProcess.WaitForSuccess(process, "fusermount3 -u", Timeout);
        }
        catch (IOException)
        {
            // Nothing more to try: the mount answers ENOTCONN once the device closes.
        }
    }
}
