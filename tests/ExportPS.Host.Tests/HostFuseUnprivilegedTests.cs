using Xunit;

namespace ExportPS.Host.Tests;

/// <summary>
/// A FUSE export made by a user who may not call mount(2): the host runs as nobody, mounts through fusermount3 (Debian's
/// fuse3, setuid root), serves the file to that user, and unmounts it when stopped.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class HostFuseUnprivilegedTests : IDisposable
{
    private const int Nobody = 65534;
    private const string DevFuse = "/dev/fuse";

    private readonly TempDirectory _directory = new("exportps-fuse-user-");
    private readonly UnixFileMode _devFuseMode = File.GetUnixFileMode(DevFuse);

    public HostFuseUnprivilegedTests()
    {
        // Debian's udev makes /dev/fuse 0666 so that fusermount3 can open it for a user; this machine's is 0600.
        File.SetUnixFileMode(DevFuse, _devFuseMode | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
        File.SetUnixFileMode(_directory.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    [Fact]
    public void A_user_mounts_through_fusermount3_writes_through_the_file_and_the_mount_goes_with_the_host()
    {
        PeerProcess.Require("/usr/bin/fusermount3");
        string image = _directory.SparseFile(1 << 20);
        string mountPoint = MountPoint;
        File.WriteAllBytes(mountPoint, []);
        PeerProcess.Run("chown", [$"{Nobody}:{Nobody}", image, mountPoint]).Check("chown");

        using var host = HostProcess.StartAs(Nobody, Nobody, _directory.Path,
            "--blockdev", $"driver=file,filename={image},node-name=n0",
            "--export", $"type=fuse,id=e0,node-name=n0,mountpoint={mountPoint},writable=on");
        string mount = WaitForMount(mountPoint, host);
        Assert.Contains(" - fuse.exportps ", mount, StringComparison.Ordinal);
        Assert.Contains($"user_id={Nobody}", mount, StringComparison.Ordinal);
        Assert.Contains("nosuid", mount, StringComparison.Ordinal);

        var io = PeerProcess.Run("setpriv", [$"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", "--", "sh", "-c",
            $"printf exported | dd of='{mountPoint}' bs=8 seek=1 conv=notrunc,fsync status=none && dd if='{mountPoint}' bs=8 skip=1 count=1 status=none; stat -c %s '{mountPoint}'"]).Check("I/O as nobody");
        Assert.Equal($"exported{1 << 20}\n", io.Stdout);

        Assert.Equal(0, host.Stop());
        Assert.Null(MountOn(mountPoint));
        using var disk = File.OpenRead(image);
        var head = new byte[16];
        disk.ReadExactly(head);
        Assert.Equal("\0\0\0\0\0\0\0\0exported", System.Text.Encoding.ASCII.GetString(head));
    }

    private string MountPoint => _directory.File("mounted.img");

    private static string WaitForMount(string mountPoint, HostProcess host)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (MountOn(mountPoint) is { } line)
            {
                return line;
            }

            if (host.HasExited)
            {
                Assert.Fail($"the host exited with {host.WaitForExit()} before mounting:\n{host.Error}");
            }

            Thread.Sleep(50);
        }

        Assert.Fail($"nothing was mounted on {mountPoint} within 30 s");
        return null!;
    }

    private static string? MountOn(string path) =>
        File.ReadLines("/proc/self/mountinfo").FirstOrDefault(line => line.Split(' ') is { Length: > 4 } fields && fields[4] == path);

    public void Dispose()
    {
        File.SetUnixFileMode(DevFuse, _devFuseMode);
        if (MountOn(MountPoint) is not null)
        {
            PeerProcess.Run("umount", ["-l", MountPoint]); // a host killed by the failed test left it
        }

        _directory.Dispose();
    }
}
