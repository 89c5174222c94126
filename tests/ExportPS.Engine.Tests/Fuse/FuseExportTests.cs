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
        Assert.False(details.AllowOther);
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
}
