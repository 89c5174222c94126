using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace ExportPS.Engine.Tests.Guest;

/// <summary>
/// The kernel and initramfs of the test guest: a Debian kernel package (downloaded with apt-get download, unpacked with
/// dpkg -x, never installed) and an initramfs of busybox-static, the virtio modules and guest-init.sh. Built once into a
/// cache shared by every test run of the machine; a run that finds it up to date only reads two paths.
/// </summary>
internal sealed class GuestImage
{
    private static readonly string[] Modules = ["virtio_pci", "virtio_blk", "virtio_net"];
    private static readonly SemaphoreSlim BuildLock = new(1, 1);
    private static GuestImage? _built;

    private GuestImage(string kernel, string initramfs)
    {
        Kernel = kernel;
        Initramfs = initramfs;
    }

    public string Kernel { get; }

    public string Initramfs { get; }

    /// <summary>EXPORTPS_GUEST_CACHE, or a folder under /var/tmp so the guest outlives one test run.</summary>
    public static string CacheDirectory =>
        Environment.GetEnvironmentVariable("EXPORTPS_GUEST_CACHE") is { Length: > 0 } cache ? cache : "/var/tmp/exportps-guest";

    public static async Task<GuestImage> GetAsync()
    {
        await BuildLock.WaitAsync();
        try
        {
            return _built ??= await Task.Run(Build);
        }
        finally
        {
            BuildLock.Release();
        }
    }

    private static GuestImage Build()
    {
        Directory.CreateDirectory(CacheDirectory);
        // Test processes of several checkouts may build at once: one builds, the others wait for its lock.
        using var machineLock = AcquireFileLock(Path.Combine(CacheDirectory, ".lock"), TimeSpan.FromMinutes(10));

        string kernelRoot = UnpackKernel();
        string moduleDirectory = Directory.GetDirectories(Path.Combine(kernelRoot, "lib", "modules")).Single();
        string kernel = Directory.GetFiles(Path.Combine(kernelRoot, "boot"), "vmlinuz-*").Single();
        string busybox = FindStaticBusybox();
        IReadOnlyList<string> modules = KernelModuleOrder.Resolve(moduleDirectory, Modules);
        string init = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Guest", "guest-init.sh"));

        string key = Fingerprint(kernel, busybox, init, modules);
        string initramfs = Path.Combine(CacheDirectory, $"initramfs-{key}.cpio.gz");
        if (!File.Exists(initramfs))
        {
            string partial = initramfs + ".partial";
            using (var file = File.Create(partial))
            using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
            {
                WriteInitramfs(gzip, busybox, init, modules);
            }

            File.Move(partial, initramfs, overwrite: true);
        }

        return new GuestImage(kernel, initramfs);
    }

    private static void WriteInitramfs(Stream output, string busybox, string init, IReadOnlyList<string> modules)
    {
        var archive = new CpioArchive(output);
        foreach (string directory in new[] { "bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev", "tmp", "run", "lib/modules", "etc" })
        {
            archive.AddDirectory(directory);
        }

        archive.AddFile("bin/busybox", File.ReadAllBytes(busybox), permissions: 0x1ED);
        foreach (string applet in Run(busybox, ["--list-full"]).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (applet != "bin/busybox")
            {
                archive.AddSymlink(applet, "/bin/busybox");
            }
        }

        for (int i = 0; i < modules.Count; i++)
        {
            // The numeric prefix keeps the dependency order in the init script's glob.
            archive.AddFile($"lib/modules/{i:D2}-{Path.GetFileName(modules[i])}", File.ReadAllBytes(modules[i]));
        }

        archive.AddFile("init", init, permissions: 0x1ED);
        archive.Finish();
    }

    /// <summary>The unpacked kernel package: the first linux-image .deb in the cache, downloaded when there is none.</summary>
    private static string UnpackKernel()
    {
        string root = Path.Combine(CacheDirectory, "kernel-root");
        if (Directory.Exists(Path.Combine(root, "boot")))
        {
            return root;
        }

        string? package = Directory.GetFiles(CacheDirectory, "linux-image-*.deb").FirstOrDefault();
        if (package is null)
        {
            string name = NewestKernelPackage();
            Run("/usr/bin/apt-get", ["download", name], CacheDirectory, TimeSpan.FromMinutes(5));
            package = Directory.GetFiles(CacheDirectory, "linux-image-*.deb").FirstOrDefault()
                ?? throw new InvalidOperationException($"apt-get download {name} left no .deb in {CacheDirectory}");
        }

        string partial = root + ".partial";
        if (Directory.Exists(partial))
        {
            Directory.Delete(partial, recursive: true);
        }

        Run("/usr/bin/dpkg", ["-x", package, partial]);
        Directory.Move(partial, root);
        return root;
    }

    private static string NewestKernelPackage()
    {
        string Search() => Run("/usr/bin/apt-cache", ["search", "--names-only", @"^linux-image-[0-9.]+-[0-9]+-amd64$"]);
        string found = Search();
        if (found.Length == 0)
        {
            Run("/usr/bin/apt-get", ["update", "-qq"], timeout: TimeSpan.FromMinutes(5));
            found = Search();
        }

        return found.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ')[0])
            .OrderBy(name => Version.Parse(string.Join('.', name.Split('-')[2..4])))
            .LastOrDefault()
            ?? throw new InvalidOperationException("apt-cache knows no linux-image-*-amd64 package for the test guest");
    }

    /// <summary>Debian's busybox-static: the initramfs has no shared libraries, so a dynamic busybox would not run.</summary>
    private static string FindStaticBusybox()
    {
        string path = Peer.Require(Peer.Busybox);

        byte[] head = new byte[4096];
        using (var file = File.OpenRead(path))
        {
            file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }

        if (Encoding.Latin1.GetString(head).Contains("/lib64/ld-linux", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{path} is linked dynamically: install the Debian package busybox-static");
        }

        return path;
    }

    private static string Fingerprint(string kernel, string busybox, string init, IEnumerable<string> modules)
    {
        var text = new StringBuilder();
        text.AppendLine(kernel).AppendLine(new FileInfo(busybox).Length.ToString()).AppendLine(init);
        foreach (string module in modules)
        {
            text.AppendLine(module);
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16].ToLowerInvariant();
    }

    private static FileStream AcquireFileLock(string path, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(500);
            }
        }
    }

    private static string Run(string file, string[] arguments, string? workingDirectory = null, TimeSpan? timeout = null) =>
        PeerProcess.Run(file, arguments, timeout ?? TimeSpan.FromMinutes(2), workingDirectory: workingDirectory)
            .Check($"{file} {string.Join(' ', arguments)}").Stdout;
}
