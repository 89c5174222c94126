using System.Runtime.InteropServices;

namespace ExportPS.Engine.Interop;

/// <summary>mount(2) and umount2(2), for FUSE exports.</summary>
internal static partial class Native
{
    public const int EPERM = 1;

    public const ulong MS_RDONLY = 0x1;
    public const ulong MS_NOSUID = 0x2;
    public const ulong MS_NODEV = 0x4;

    /// <summary>umount2: detach the mount now, let its superblock go when the last user closes it.</summary>
    public const int MNT_DETACH = 0x2;

    public const int O_NONBLOCK = 0x800;

    public const int F_GETFL = 3;
    public const int F_SETFL = 4;

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Mount(string source, string target, string fileSystemType, ulong flags, string data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Umount2(string target, int flags);

    [LibraryImport("libc", EntryPoint = "getuid")]
    public static partial uint GetUid();

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEUid();

    [LibraryImport("libc", EntryPoint = "getgid")]
    public static partial uint GetGid();
}
