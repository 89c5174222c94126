using System.Collections.Concurrent;
using ExportPS.Engine.Block;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Exports.Fuse;
using ExportPS.Engine.Model;
using Xunit;

namespace ExportPS.Engine.Tests.Fuse;

/// <summary>
/// FUSE exports mounted through the kernel (/dev/fuse, as root): data through the mount with dd, cmp and qemu-img,
/// fallocate and SEEK_DATA/SEEK_HOLE against the node's allocation, growable truncate, read-only and allow-other
/// mounts, removal and engine shutdown. Every test checks that its mount is gone afterwards.
/// </summary>
public sealed class FuseExportTests : IDisposable
{
    private const long DiskSize = 4 << 20;

    private readonly TempDirectory _directory = new();
    private readonly ExportEngine _engine = new();
    private readonly List<string> _mountPoints = [];
    private readonly string _imagePath;

    public FuseExportTests()
    {
        _imagePath = _directory.SparseFile(DiskSize);
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "disk", Driver = BlockDriverKind.File, Path = _imagePath, Discard = BlockDiscardMode.Unmap });
    }

    public void Dispose()
    {
        _engine.Dispose();
        foreach (var mountPoint in _mountPoints)
        {
            Assert.False(FuseMount.IsMounted(mountPoint), $"{mountPoint} is still mounted after the engine was disposed");
        }

        _directory.Dispose();
    }

    /// <summary>An empty regular file to mount on.</summary>
    private string MountPoint(string name = "export")
    {
        string path = _directory.File(name);
        File.WriteAllBytes(path, []);
        _mountPoints.Add(path);
        return path;
    }

    private BlockExportInfo AddExport(string mountPoint, string id = "fuse", bool writable = true, bool growable = false,
        FuseExportAllowOther allowOther = FuseExportAllowOther.Auto, string node = "disk", string? ioThread = null) =>
        _engine.AddBlockExport(new BlockExportOptions
        {
            Type = BlockExportType.Fuse,
            Id = id,
            NodeName = node,
            Writable = writable,
            IoThread = ioThread,
            Fuse = new FuseExportOptions { MountPoint = mountPoint, Growable = growable, AllowOther = allowOther },
        });

    private FuseExportDetails Details(string id = "fuse") =>
        Assert.IsType<FuseExportDetails>(_engine.GetBlockExports().Single(e => e.Id == id).Details);

    private static PeerProcess.Result Sh(string script, TimeSpan? timeout = null) =>
        PeerProcess.Run("/bin/sh", ["-c", script], timeout);

    private static string Q(string path) => $"'{path}'";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>Prints the offsets SEEK_DATA and SEEK_HOLE find from each argument offset ("ENXIO" past the data).</summary>
    private const string SeekProgram = """
        import os, sys
        fd = os.open(sys.argv[1], os.O_RDONLY)
        for arg in sys.argv[2:]:
            for whence in (os.SEEK_DATA, os.SEEK_HOLE):
                try:
                    print(os.lseek(fd, int(arg), whence), end=' ')
                except OSError as e:
                    print('ENXIO' if e.errno == 6 else e.errno, end=' ')
        print()
        """;

    private BlockNode Disk => _engine.Graph.Find("disk");

    private async Task<BlockStatus> StatusAsync(long offset, long length) => await Disk.GetBlockStatusAsync(offset, length);

    [Fact]
    public void TheMountedFileHasTheNodesSizeAndMode()
    {
        string mountPoint = MountPoint();
        AddExport(mountPoint, writable: true, allowOther: FuseExportAllowOther.Off);
        var file = new FileInfo(mountPoint);
        Assert.Equal(DiskSize, file.Length);
        Assert.Equal("600 regular file", Sh($"stat -c '%a %F' {Q(mountPoint)}").Check("stat").Stdout.Trim());
        Assert.True(FuseMount.IsMounted(mountPoint));
        var details = Details();
        Assert.Equal(mountPoint, details.MountPoint);
        Assert.False(details.OthersAllowed);
        Assert.Equal(FuseExportAllowOther.Off, details.AllowOther);
        Assert.Equal(mountPoint, details.ToString());
    }

    [Fact]
    public async Task DdWritesThroughTheMountLandInTheNodeAndCmpReadsThemBack()
    {
        string mountPoint = MountPoint();
        AddExport(mountPoint);
        string source = _directory.File("random");
        var data = new byte[DiskSize];
        new Random(17).NextBytes(data);
        File.WriteAllBytes(source, data);

        Sh($"dd if={Q(source)} of={Q(mountPoint)} bs=64k conv=notrunc,fsync status=none").Check("dd into the mount");
        Sh($"cmp {Q(source)} {Q(mountPoint)}").Check("cmp through the mount");
        Sh($"dd if={Q(mountPoint)} of=/dev/null bs=1M iflag=direct status=none").Check("O_DIRECT read");

        var back = new byte[DiskSize];
        await _engine.Graph.Find("disk").ReadAsync(0, back);
        Assert.Equal(data, back);
    }

    [Fact]
    public void QemuImgSeesARawImageThatEqualsTheNode()
    {
        string mountPoint = MountPoint();
        AddExport(mountPoint, writable: false);
        var info = PeerProcess.Run(PeerProcess.Require(Peer.QemuImg), ["info", "-f", "raw", "--output=json", mountPoint]).Check("qemu-img info");
        Assert.Contains($"\"virtual-size\": {DiskSize}", info.Stdout, StringComparison.Ordinal);
        PeerProcess.Run(Peer.QemuImg, ["compare", "-f", "raw", "-F", "raw", mountPoint, _imagePath]).Check("qemu-img compare");
    }

    [Fact]
    public async Task FallocatePunchesHolesAndZeroesRangesInTheNode()
    {
        string mountPoint = MountPoint();
        AddExport(mountPoint);
        Sh($"dd if=/dev/urandom of={Q(mountPoint)} bs=1M count=4 conv=notrunc status=none").Check("fill");

        Sh($"fallocate -p -o 1M -l 1M {Q(mountPoint)}").Check("fallocate -p");
        Sh($"fallocate -z -o 3M -l 512K {Q(mountPoint)}").Check("fallocate -z");

        var hole = await StatusAsync(1 << 20, 1 << 20);
        Assert.False(hole.Data);
        Assert.True(hole.Zero);
        Assert.Equal(1 << 20, hole.Length);
        Assert.True((await StatusAsync(3 << 20, 512 << 10)).Zero);
        Assert.True((await StatusAsync(0, 1 << 20)).Data);
        var bytes = new byte[1 << 20];
        await Disk.ReadAsync(1 << 20, bytes);
        Assert.All(bytes, b => Assert.Equal(0, b));
        Assert.Equal(DiskSize, new FileInfo(mountPoint).Length);
    }

    [Fact]
    public void FallocateHolesShowInNbdInfoMapOfTheSameNode()
    {
        string mountPoint = MountPoint();
        AddExport(mountPoint);
        string socket = _directory.File("nbd.sock");
        _engine.StartNbdServer(new NbdServerOptions { Address = SocketAddressOptions.Unix(socket) });
        _engine.AddBlockExport(new BlockExportOptions { Id = "nbd", NodeName = "disk" });
        Sh($"dd if=/dev/urandom of={Q(mountPoint)} bs=1M count=4 conv=notrunc status=none").Check("fill");
        Sh($"fallocate -p -o 2M -l 1M {Q(mountPoint)}").Check("fallocate -p");

        var map = PeerProcess.Run(PeerProcess.Require(Peer.NbdInfo), ["--map", $"nbd+unix:///disk?socket={socket}"]).Check("nbdinfo --map").Stdout;
        var lines = map.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        Assert.Contains(lines, l => l[0] == "0" && l[1] == "2097152" && l[2] == "0");
        Assert.Contains(lines, l => l[0] == "2097152" && l[1] == "1048576" && l[2] == "3");
        Assert.Contains(lines, l => l[0] == "3145728" && l[1] == "1048576" && l[2] == "0");
    }

    [Fact]
    public void SeekDataAndSeekHoleFollowTheNodesAllocation()
    {
        string mountPoint = MountPoint();
        AddExport(mountPoint);
        Sh($"dd if=/dev/urandom of={Q(mountPoint)} bs=64K count=2 seek=16 conv=notrunc status=none").Check("write at 1 MiB");

        // Data at [1 MiB, 1 MiB + 128 KiB); holes elsewhere, and the end of the file counts as a hole.
        string found = PeerProcess.Run(PeerProcess.Require(Peer.Python3), ["-c", SeekProgram, mountPoint, "0", "1179648", "1200000", "4194304"])
            .Check("lseek").Stdout.Trim();
        Assert.Equal("1048576 0 ENXIO 1179648 ENXIO 1200000 ENXIO ENXIO", found);

        string copy = _directory.File("copy");
        Sh($"cp --sparse=always {Q(mountPoint)} {Q(copy)} && cmp {Q(mountPoint)} {Q(copy)}").Check("sparse copy");
        Assert.True(new FileInfo(copy).Length == DiskSize);
    }

    [Fact]
    public void AGrowableExportFollowsTruncateAndWritesPastTheEnd()
    {
        string mountPoint = MountPoint();
        AddExport(mountPoint, growable: true);

        Sh($"truncate -s 8M {Q(mountPoint)}").Check("truncate up");
        Assert.Equal(8L << 20, Disk.Size);
        Assert.Equal(8L << 20, new FileInfo(_imagePath).Length);
        Sh($"truncate -s 1M {Q(mountPoint)}").Check("truncate down");
        Assert.Equal(1L << 20, Disk.Size);
        Assert.Equal(1L << 20, new FileInfo(mountPoint).Length);

        Sh($"dd if=/dev/urandom of={Q(mountPoint)} bs=64K count=1 seek=32 conv=notrunc status=none").Check("write past the end");
        Assert.Equal((2L << 20) + (64 << 10), Disk.Size);
        Sh($"fallocate -l 3M {Q(mountPoint)}").Check("fallocate past the end");
        Assert.Equal(3L << 20, Disk.Size);
    }

    [Fact]
    public void AFixedSizeExportRefusesToChangeSize()
    {
        string mountPoint = MountPoint();
        AddExport(mountPoint);

        var truncate = Sh($"truncate -s 8M {Q(mountPoint)}");
        Assert.NotEqual(0, truncate.ExitCode);
        Assert.Contains("Operation not permitted", truncate.Stderr, StringComparison.Ordinal);
        var past = Sh($"dd if=/dev/zero of={Q(mountPoint)} bs=64K count=1 seek=64 conv=notrunc status=none");
        Assert.NotEqual(0, past.ExitCode);
        Assert.Contains("No space left on device", past.Stderr, StringComparison.Ordinal);
        Sh($"truncate -s {DiskSize} {Q(mountPoint)}").Check("truncate to the same size");
        Assert.Equal(DiskSize, Disk.Size);
    }

    [Fact]
    public void AReadOnlyExportRefusesWrites()
    {
        string mountPoint = MountPoint();
        AddExport(mountPoint, writable: false);

        var write = Sh($"dd if=/dev/zero of={Q(mountPoint)} bs=4K count=1 conv=notrunc status=none");
        Assert.NotEqual(0, write.ExitCode);
        Assert.Contains("Read-only file system", write.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, Sh($"truncate -s 1M {Q(mountPoint)}").ExitCode);
        Assert.Equal("444", Sh($"stat -c %a {Q(mountPoint)}").Check("stat").Stdout.Trim());
        Sh($"cmp {Q(mountPoint)} {Q(_imagePath)}").Check("reads still work");
    }

    [Fact]
    public void AllowOtherLetsAnotherUserReadAndOffKeepsThemOut()
    {
        Sh($"chmod 755 {Q(_directory.Path)}").Check("chmod");
        string open = MountPoint("open");
        string closed = MountPoint("closed");
        AddExport(open, id: "open", allowOther: FuseExportAllowOther.On);
        AddExport(closed, id: "closed", allowOther: FuseExportAllowOther.Off);
        Assert.True(Details("open").OthersAllowed);
        Assert.Equal("644", Sh($"stat -c %a {Q(open)}").Check("stat").Stdout.Trim());

        const string asNobody = "setpriv --reuid=nobody --regid=nogroup --clear-groups";
        Assert.Equal(DiskSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Sh($"{asNobody} sh -c 'wc -c < {open}'").Check("read as nobody").Stdout.Trim());
        Assert.NotEqual(0, Sh($"{asNobody} sh -c 'wc -c < {closed}'").ExitCode);
        Assert.NotEqual(0, Sh($"{asNobody} sh -c 'echo x >> {open}'").ExitCode);
    }

    [Fact]
    public void RequestsAreServedOnTheExportsIoThread()
    {
        _engine.AddIoThread(new IoThreadOptions { Id = "io0" });
        string mountPoint = MountPoint();
        AddExport(mountPoint, ioThread: "io0");
        Sh($"dd if=/dev/urandom of={Q(mountPoint)} bs=256K count=16 conv=notrunc,fsync status=none && cmp {Q(mountPoint)} {Q(_imagePath)}").Check("dd and cmp");
        Assert.True(Details().Requests > 16);
    }

    [Fact]
    public void TheMountPointMustBeAnExistingRegularFileNothingIsMountedOn()
    {
        var missing = Assert.Throws<EngineException>(() => AddExport(_directory.File("missing")));
        Assert.Equal(ErrorIds.ExportMountFailed, missing.ErrorId);
        Assert.Contains("No such file or directory", missing.Message, StringComparison.Ordinal);

        var directory = Assert.Throws<EngineException>(() => AddExport(_directory.Path));
        Assert.Equal(EngineErrorCategory.InvalidArgument, directory.Category);
        Assert.Contains("is not a regular file", directory.Message, StringComparison.Ordinal);

        // A space is escaped (\040) in /proc/self/mountinfo: the mount is still found.
        string mountPoint = MountPoint("with space.img");
        AddExport(mountPoint);
        Assert.True(FuseMount.IsMounted(mountPoint));
        var twice = Assert.Throws<EngineException>(() => AddExport(mountPoint, id: "second"));
        Assert.Equal(EngineErrorCategory.InUse, twice.Category);
        Assert.Contains("already", twice.Message, StringComparison.Ordinal);
        Assert.Single(_engine.GetBlockExports());
    }

    [Fact]
    public void SafeRemovalWaitsForTheFileToBeClosedAndTheDeletedEventFollowsTheUnmount()
    {
        string mountPoint = MountPoint();
        AddExport(mountPoint);
        var deleted = new ConcurrentQueue<bool>();
        _engine.ExportDeleted += (_, _) => deleted.Enqueue(FuseMount.IsMounted(mountPoint));

        using (var held = File.OpenRead(mountPoint))
        {
            Assert.Equal(1, Details().OpenHandles);
            Assert.Equal(1, _engine.GetBlockExports().Single().Clients);
            var refused = Assert.Throws<EngineException>(() => _engine.RemoveBlockExport("fuse", BlockExportRemoveMode.Safe));
            Assert.Equal(ErrorIds.ExportInUse, refused.ErrorId);
        }

        WaitUntil(() => Details().OpenHandles == 0, "the file was released");
        _engine.RemoveBlockExport("fuse", BlockExportRemoveMode.Safe);
        Assert.True(_engine.WaitForExportDeleted("fuse", Timeout, CancellationToken.None));
        Assert.Equal([false], deleted.ToArray());
        Assert.False(FuseMount.IsMounted(mountPoint));
        AddExport(mountPoint);
    }

    [Fact]
    public void HardRemovalEndsTheConnectionOfAReaderThatHoldsTheFile()
    {
        string mountPoint = MountPoint();
        AddExport(mountPoint);
        string go = _directory.File("go");
        const string holder = """
            import os, sys, time
            fd = os.open(sys.argv[1], os.O_RDONLY)
            os.pread(fd, 4096, 0)
            print('open', flush=True)
            while not os.path.exists(sys.argv[2]):
                time.sleep(0.02)
            try:
                os.pread(fd, 4096, 0)
                print('read')
            except OSError as e:
                print('errno', e.errno)
            """;
        var lines = new ConcurrentQueue<string>();
        using var reader = new PeerProcess.Background(PeerProcess.Require(Peer.Python3), ["-c", holder, mountPoint, go], lines.Enqueue);
        reader.WaitUntil(() => lines.Contains("open"), "the reader opened the file", Timeout);
        Assert.Equal(1, Details().OpenHandles);

        _engine.RemoveBlockExport("fuse", BlockExportRemoveMode.Hard);
        Assert.True(_engine.WaitForExportDeleted("fuse", Timeout, CancellationToken.None));
        Assert.False(FuseMount.IsMounted(mountPoint));

        File.WriteAllBytes(go, []);
        Assert.Equal(0, reader.WaitForExit(Timeout));
        Assert.Contains("errno 107", reader.Output, StringComparison.Ordinal); // ENOTCONN
    }

    [Fact]
    public void DisposingTheEngineUnmounts()
    {
        string mountPoint = MountPoint();
        AddExport(mountPoint);
        using var held = File.OpenRead(mountPoint);
        _engine.Dispose();
        Assert.False(FuseMount.IsMounted(mountPoint));
    }

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            Thread.Sleep(10);
        }
    }
}
