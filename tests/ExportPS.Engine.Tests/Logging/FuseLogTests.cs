using ExportPS.Engine.Exports.Fuse;
using ExportPS.Engine.Model;
using Microsoft.Extensions.Logging;
using Xunit;

namespace ExportPS.Engine.Tests.Logging;

/// <summary>
/// What FUSE exports log through the engine's logger factory, mounted through the kernel (/dev/fuse, as root): the
/// mount and the unmount of a removal, and a connection ended from outside (umount(8)) while the export still serves.
/// </summary>
public sealed class FuseLogTests : IDisposable
{
    private const string Category = "ExportPS.Fuse";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly CapturingLoggerFactory _log = new();
    private readonly TempDirectory _directory = new();
    private readonly ExportEngine _engine;
    private readonly string _mountPoint;

    public FuseLogTests()
    {
        _engine = new ExportEngine(_log);
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "disk", Driver = BlockDriverKind.Memory, Size = 1 << 20 });
        _mountPoint = _directory.File("export");
        File.WriteAllBytes(_mountPoint, []);
        _engine.AddBlockExport(new BlockExportOptions
        {
            Type = BlockExportType.Fuse,
            Id = "fuse",
            NodeName = "disk",
            Fuse = new FuseExportOptions { MountPoint = _mountPoint },
        });
    }

    public void Dispose()
    {
        _engine.Dispose();
        Assert.False(FuseMount.IsMounted(_mountPoint), $"{_mountPoint} is still mounted after the engine was disposed");
        _directory.Dispose();
    }

    /// <summary>Waits until <paramref name="count"/> FUSE events were logged; returns them as a test compares them.</summary>
    private (string?, LogLevel, int, string)[] WaitForEvents(int count) => [.. _log.WaitForEvents(Category, count).Select(e => e.Shown)];

    [Fact]
    public void A_fuse_export_is_logged_mounted_and_unmounted_by_its_removal()
    {
        Assert.Equal(1 << 20, File.ReadAllBytes(_mountPoint).Length); // served through the mount
        Assert.True(SpinWait.SpinUntil(() => _engine.GetBlockExports().Single().Clients == 0, Timeout), "the kernel released the file");
        _engine.RemoveBlockExport("fuse", BlockExportRemoveMode.Safe);
        Assert.True(_engine.WaitForExportDeleted("fuse", Timeout, CancellationToken.None));

        Assert.Equal(
            [
                ("fuse_mounted", LogLevel.Information, 2100, $"FUSE export 'fuse' mounted on {_mountPoint} (read-only: True)"),
                ("fuse_unmounted", LogLevel.Information, 2101, $"FUSE export 'fuse' unmounted from {_mountPoint}"),
            ],
            WaitForEvents(2));
    }

    [Fact]
    public void A_fuse_mount_ended_from_outside_is_logged_as_a_lost_connection()
    {
        PeerProcess.Run("umount", [_mountPoint], Timeout).Check("umount the export's mount point");

        var lost = _log.WaitFor("fuse_connection_lost", Timeout);
        Assert.Equal((Category, LogLevel.Warning, 2102), (lost.Category, lost.Level, lost.EventId));
        Assert.Equal(
            $"FUSE export 'fuse' lost its connection on {_mountPoint}: unmounted from outside ExportPS, or aborted; it serves no more until removed",
            lost.Message);

        // Removed afterwards, the export goes without a second unmount or another lost connection.
        _engine.RemoveBlockExport("fuse", BlockExportRemoveMode.Hard);
        Assert.True(_engine.WaitForExportDeleted("fuse", Timeout, CancellationToken.None));
        Assert.Equal(["fuse_mounted", "fuse_connection_lost"], WaitForEvents(2).Select(e => e.Item1));
    }
}
