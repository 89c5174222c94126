using System.Globalization;
using System.Runtime.InteropServices;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Interop;
using ExportPS.Engine.Model;
using Microsoft.Win32.SafeHandles;

namespace ExportPS.Engine.Exports.Fuse;

/// <summary>
/// A FUSE mount over one regular file: the /dev/fuse connection and the mount that ties it to the file. As root it is
/// mount(2) with the fd=, rootmode=, user_id=, group_id= options libfuse would pass; otherwise fusermount3 (setuid root,
/// from Debian's fuse3) mounts and hands the connection back, as libfuse does for an unprivileged user. Detaching
/// removes the mount at once; closing the device ends the connection, so processes still holding the file get ENOTCONN.
/// </summary>
internal sealed class FuseMount : IDisposable
{
    /// <summary>The file system type /proc/self/mountinfo shows for ExportPS's mounts.</summary>
    public const string FileSystemType = "fuse.exportps";

    /// <summary>The fusermount3 that mounted this (and unmounts it); null when it was mount(2).</summary>
    private readonly string? _fusermount;
    private int _detached;

    private FuseMount(SafeFileHandle device, string mountPoint, bool allowOther, string? fusermount)
    {
        Device = device;
        MountPoint = mountPoint;
        AllowOther = allowOther;
        _fusermount = fusermount;
    }

    /// <summary>The connection: requests are read from it and replies written to it (non-blocking).</summary>
    public SafeFileHandle Device { get; }

    public string MountPoint { get; }

    public bool AllowOther { get; }

    /// <summary>Mounts a new connection on <paramref name="mountPoint"/>, which must be an existing regular file nothing is mounted on.</summary>
    public static FuseMount Create(string id, string mountPoint, bool readOnly, FuseExportAllowOther allowOther)
    {
        string path = Path.GetFullPath(mountPoint);
        RequireRegularFile(id, path);
        if (MountedFileSystem(path) is { } mounted)
        {
            throw new EngineException(ErrorIds.ExportMountFailed, EngineErrorCategory.InUse,
                mounted.StartsWith("fuse", StringComparison.Ordinal) ? $"There already is a FUSE export on '{path}'" : $"There already is a {mounted} mount on '{path}'")
            {
                Target = id,
            };
        }

        if (Native.GetEUid() != 0)
        {
            return FusermountMount.Find() is { } fusermount
                ? MountByHelper(id, fusermount, path, readOnly, allowOther)
                : throw new EngineException(ErrorIds.ExportMountFailed, EngineErrorCategory.PermissionDenied,
                    $"Failed to mount FUSE session to export on '{path}': only root may mount, and fusermount3 (Debian package fuse3) is not installed") { Target = id };
        }

        var device = Native.OwnedHandle(Native.Open("/dev/fuse", Native.O_RDWR | Native.O_CLOEXEC | Native.O_NONBLOCK, 0), "open /dev/fuse");
        try
        {
            bool other = allowOther != FuseExportAllowOther.Off;
            int errno = TryMount(device, path, readOnly, other);
            if (errno == Native.EPERM && allowOther == FuseExportAllowOther.Auto)
            {
                other = false;
                errno = TryMount(device, path, readOnly, other);
            }

            if (errno != 0)
            {
                throw new EngineException(ErrorIds.ExportMountFailed,
                    errno == Native.EPERM ? EngineErrorCategory.PermissionDenied : EngineErrorCategory.InvalidState,
                    $"Failed to mount FUSE session to export on '{path}': {Native.ErrorText(errno)}") { Target = id };
            }

            return new FuseMount(device, path, other, fusermount: null);
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    private static FuseMount MountByHelper(string id, string fusermount, string path, bool readOnly, FuseExportAllowOther allowOther)
    {
        bool other = allowOther != FuseExportAllowOther.Off;
        try
        {
            SafeFileHandle device;
            try
            {
                device = FusermountMount.Mount(fusermount, path, readOnly, other);
            }
            catch (IOException) when (allowOther == FuseExportAllowOther.Auto)
            {
                // allow_other needs user_allow_other in /etc/fuse.conf for a user: auto goes on without it.
                other = false;
                device = FusermountMount.Mount(fusermount, path, readOnly, other);
            }

            return new FuseMount(device, path, other, fusermount);
        }
        catch (IOException e)
        {
            throw new EngineException(ErrorIds.ExportMountFailed, EngineErrorCategory.PermissionDenied,
                $"Failed to mount FUSE session to export on '{path}': {e.Message}", e) { Target = id };
        }
    }

    private static int TryMount(SafeFileHandle device, string path, bool readOnly, bool allowOther)
    {
        string data = string.Create(CultureInfo.InvariantCulture,
            $"fd={device.DangerousGetHandle()},rootmode=100000,user_id={Native.GetUid()},group_id={Native.GetGid()},default_permissions{(allowOther ? ",allow_other" : string.Empty)}");
        ulong flags = Native.MS_NOSUID | Native.MS_NODEV | (readOnly ? Native.MS_RDONLY : 0);
        return Native.Mount("exportps", path, FileSystemType, flags, data) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    private static void RequireRegularFile(string id, string path)
    {
        if (Native.StatPath(Native.AT_FDCWD, path, 0, Native.STATX_TYPE, out var stat) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new EngineException(ErrorIds.ExportMountFailed,
                errno == Native.ENOENT ? EngineErrorCategory.NotFound : EngineErrorCategory.InvalidArgument,
                $"Failed to stat '{path}': {Native.ErrorText(errno)}") { Target = id };
        }

        if ((stat.Mode & Native.S_IFMT) != Native.S_IFREG)
        {
            throw new EngineException(ErrorIds.ExportMountFailed, EngineErrorCategory.InvalidArgument,
                $"'{path}' is not a regular file") { Target = id };
        }
    }

    /// <summary>Whether some mount (any file system) sits on <paramref name="path"/>.</summary>
    public static bool IsMounted(string path) => MountedFileSystem(path) is not null;

    /// <summary>The type of the file system mounted last on <paramref name="path"/>, from /proc/self/mountinfo; null when none is.</summary>
    private static string? MountedFileSystem(string path) =>
        File.ReadLines("/proc/self/mountinfo").Select(Parse).LastOrDefault(m => m.Target == path).Type;

    /// <summary>
    /// The mount point (the fifth field, its octal escapes such as \040 for a space undone) and the file system type
    /// (the first field after the " - " separator) of a mountinfo line.
    /// </summary>
    private static (string? Target, string? Type) Parse(string line)
    {
        var fields = line.Split(' ');
        int separator = Array.IndexOf(fields, "-");
        return fields.Length < 5 || separator < 0 || separator + 1 >= fields.Length
            ? (null, null)
            : (UnescapeOctal(fields[4]), fields[separator + 1]);
    }

    private static string UnescapeOctal(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var text = new System.Text.StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && IsOctal(field.AsSpan(i + 1, 3)))
            {
                text.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                text.Append(field[i]);
            }
        }

        return text.ToString();
    }

    private static bool IsOctal(ReadOnlySpan<char> digits) => !digits.ContainsAnyExceptInRange('0', '7');

    /// <summary>
    /// Removes the mount from the file tree (once); open files keep the connection until they are closed. True when this
    /// call removed it.
    /// </summary>
    public bool Detach()
    {
        if (Interlocked.Exchange(ref _detached, 1) != 0)
        {
            return false;
        }

        if (_fusermount is not null)
        {
            FusermountMount.Detach(_fusermount, MountPoint);
        }
        else
        {
            Native.Umount2(MountPoint, Native.MNT_DETACH);
        }

        return true;
    }

    /// <summary>Detaches the mount and closes the device, which ends the connection.</summary>
    public void Dispose()
    {
        Detach();
        Device.Dispose();
    }
}
