using Xunit;

namespace ExportPS.TestSupport;

/// <summary>
/// The peer programs the tests drive and the Debian package of each. tests/run.sh installs them all, so a missing peer
/// fails the test (with the package to install) instead of skipping it: a skipped interoperability test hides a gap.
/// </summary>
internal static class Peer
{
    public const string NbdInfo = "/usr/bin/nbdinfo";
    public const string NbdCopy = "/usr/bin/nbdcopy";
    public const string QemuImg = "/usr/bin/qemu-img";
    public const string QemuIo = "/usr/bin/qemu-io";
    public const string QemuNbd = "/usr/bin/qemu-nbd";
    public const string QemuStorageDaemon = "/usr/bin/qemu-storage-daemon";
    public const string Fio = "/usr/bin/fio";
    public const string Python3 = "/usr/bin/python3";
    public const string QemuSystem = "/usr/bin/qemu-system-x86_64";
    public const string Busybox = "/bin/busybox";
    public const string Nbdkit = "/usr/bin/nbdkit";
    public const string NbdServer = "/usr/bin/nbd-server";
    public const string VdeSwitch = "/usr/bin/vde_switch";

    private static readonly Dictionary<string, string> Packages = new(StringComparer.Ordinal)
    {
        ["nbdinfo"] = "libnbd-bin",
        ["nbdcopy"] = "libnbd-bin",
        ["qemu-img"] = "qemu-utils",
        ["qemu-io"] = "qemu-utils",
        ["qemu-nbd"] = "qemu-utils",
        ["qemu-storage-daemon"] = "qemu-system-common",
        ["fio"] = "fio",
        ["python3"] = "python3-libnbd", // the tests' python3 scripts import libnbd's nbd module
        ["tshark"] = "tshark",
        ["qemu-system-x86_64"] = "qemu-system-x86",
        ["nbdkit"] = "nbdkit",
        ["nbd-server"] = "nbd-server",
        ["vde_switch"] = "vde2",
        ["busybox"] = "busybox-static", // the test guest's initramfs has no shared libraries
    };

    /// <summary>Fails the test, naming the Debian package, unless the peer binary at <paramref name="path"/> exists.</summary>
    public static string Require(string path)
    {
        if (!File.Exists(path))
        {
            Assert.Fail($"peer binary {path} is missing: {Advice(path)}");
        }

        return path;
    }

    /// <summary>How to get the peer: its Debian package, which tests/run.sh installs when run as root.</summary>
    public static string Advice(string path) => Packages.TryGetValue(System.IO.Path.GetFileName(path), out string? package)
        ? $"install the Debian package {package} (tests/run.sh does when run as root)"
        : "install it (see the package list in tests/run.sh)";
}
