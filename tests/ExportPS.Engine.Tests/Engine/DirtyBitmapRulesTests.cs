using ExportPS.Engine.Block;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using Xunit;
using static ExportPS.Engine.Tests.Block.TestNodes;
using static ExportPS.Engine.Tests.Engine.EngineAssert;

namespace ExportPS.Engine.Tests.Engine;

/// <summary>block-dirty-bitmap-* rules and what marks a bitmap.</summary>
public sealed class DirtyBitmapRulesTests : IDisposable
{
    private const long Size = 1 << 20;
    private readonly ExportEngine _engine = new();
    private readonly BlockNode _disk;

    public DirtyBitmapRulesTests()
    {
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "disk", Driver = BlockDriverKind.Memory, Size = Size, Discard = BlockDiscardMode.Unmap });
        _disk = _engine.Graph.GetNode("disk");
    }

    public void Dispose() => _engine.Dispose();

    private DirtyBitmapInfo Add(string name, long granularity = DirtyBitmapOptions.DefaultGranularity, bool disabled = false, string node = "disk") =>
        _engine.AddDirtyBitmap(new DirtyBitmapOptions { NodeName = node, Name = name, Granularity = granularity, Disabled = disabled });

    private DirtyBitmapInfo Info(string name) => _engine.GetDirtyBitmaps().Single(b => b.Name == name);

    [Fact]
    public void NewBitmapIsCleanEnabledAndListed()
    {
        var info = Add("b0");
        Assert.Equal(new DirtyBitmapInfo { NodeName = "disk", Name = "b0", Granularity = 65536, Count = 0, Enabled = true, Persistent = false, Busy = false }, info);
        Assert.Equal(["b0"], _engine.GetBlockNodes().Single().Bitmaps);
    }

    [Fact]
    public void WriteDiscardAndZeroMarkWholeGranules()
    {
        Add("b0", 4096);
        Write(_disk, 100, [1]);
        Assert.Equal(4096, Info("b0").Count);
        Discard(_disk, 8192, 8192);
        Assert.Equal(3 * 4096, Info("b0").Count);
        Zero(_disk, 4095, 2);
        Assert.Equal(4 * 4096, Info("b0").Count);

        var bitmap = _engine.Graph.ResolveBitmap("disk", "b0");
        Assert.Equal((16384L, true), bitmap.GetRun(0, Size));
        Assert.Equal((4096L, true), bitmap.GetRun(8192, 4096));
        Assert.Equal((Size - 16384, false), bitmap.GetRun(16384, Size - 16384));
        Assert.Equal((1000L, true), bitmap.GetRun(100, 1000));
    }

    [Fact]
    public void ReadsDoNotMark()
    {
        Add("b0");
        Read(_disk, 0, 65536);
        Status(_disk, 0, Size);
        Flush(_disk);
        Assert.Equal(0, Info("b0").Count);
    }

    [Fact]
    public void CountIsClippedToNodeSize()
    {
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "odd", Driver = BlockDriverKind.Memory, Size = 70_000 });
        Add("b0", node: "odd");
        Write(_engine.Graph.GetNode("odd"), 69_999, [1]);
        Assert.Equal(70_000 - 65536, _engine.GetDirtyBitmaps().Single().Count);
    }

    [Fact]
    public void DisabledBitmapIgnoresWritesUntilEnabled()
    {
        Add("b0", disabled: true);
        Write(_disk, 0, [1]);
        Assert.Equal(0, Info("b0").Count);
        Assert.False(Info("b0").Enabled);
        _engine.EnableDirtyBitmap("disk", "b0");
        Write(_disk, 0, [1]);
        Assert.Equal(65536, Info("b0").Count);
        _engine.DisableDirtyBitmap("disk", "b0");
        Write(_disk, Size - 1, [1]);
        Assert.Equal(65536, Info("b0").Count);
    }

    [Fact]
    public void ClearResetsCount()
    {
        Add("b0");
        Write(_disk, 0, new byte[200_000]);
        Assert.Equal(4 * 65536, Info("b0").Count);
        _engine.ClearDirtyBitmap("disk", "b0");
        Assert.Equal(0, Info("b0").Count);
    }

    [Fact]
    public void MergeOrsSourcesOfAnyGranularityAndAcrossNodes()
    {
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "other", Driver = BlockDriverKind.Memory, Size = Size });
        Add("fine", 512);
        Add("target", disabled: true);
        Add("far", node: "other");
        Write(_disk, 70_000, [1]);
        Write(_engine.Graph.GetNode("other"), 0, [1]);

        _engine.MergeDirtyBitmaps("disk", "target", ["fine", "other/far"]);
        var target = _engine.Graph.ResolveBitmap("disk", "target");
        Assert.Equal(2 * 65536, target.Count);
        Assert.True(target.GetRun(0, 1).Dirty);
        Assert.True(target.GetRun(65536, 1).Dirty);
        Assert.False(target.GetRun(131072, 1).Dirty);
    }

    [Fact]
    public void MergeWithAnUnknownSourceChangesNothing()
    {
        Add("a");
        Add("target");
        Write(_disk, 0, [1]);
        Refused(_engine, ErrorIds.DirtyBitmapNotFound, () => _engine.MergeDirtyBitmaps("disk", "target", ["a", "missing"]));
        Refused(_engine, ErrorIds.BlockNodeNotFound, () => _engine.MergeDirtyBitmaps("disk", "target", ["nowhere/a"]));
        Refused(_engine, ErrorIds.DirtyBitmapNotFound, () => _engine.MergeDirtyBitmaps("disk", "missing", ["a"]));
    }

    [Theory]
    [InlineData(256)]
    [InlineData(3000)]
    [InlineData(1L << 32)]
    [InlineData(0)]
    public void BadGranularityIsRefused(long granularity)
    {
        var error = Refused(_engine, ErrorIds.InvalidGranularity, () => Add("b0", granularity));
        Assert.Equal("Granularity must be power of 2, and at least 512", error.Message);
    }

    [Fact]
    public void GranularityLimitsAreAccepted()
    {
        Assert.Equal(512, Add("small", 512).Granularity);
        Assert.Equal(1L << 31, Add("large", 1L << 31).Granularity);
    }

    [Fact]
    public void NamesAndReferencesAreChecked()
    {
        Add("b0");
        Refused(_engine, ErrorIds.DirtyBitmapExists, () => Add("b0"));
        Refused(_engine, ErrorIds.InvalidName, () => Add("0b"));
        Refused(_engine, ErrorIds.MissingName, () => Add(""));
        Refused(_engine, ErrorIds.BlockNodeNotFound, () => Add("b1", node: "nothing"));
        Refused(_engine, ErrorIds.DirtyBitmapNotFound, () => _engine.RemoveDirtyBitmap("disk", "nothing"));
        Refused(_engine, ErrorIds.DirtyBitmapNotFound, () => _engine.ClearDirtyBitmap("disk", "nothing"));
        Refused(_engine, ErrorIds.DirtyBitmapNotFound, () => _engine.EnableDirtyBitmap("disk", "nothing"));
        Refused(_engine, ErrorIds.BlockNodeNotFound, () => _engine.DisableDirtyBitmap("nothing", "b0"));
    }

    [Fact]
    public void BusyBitmapCannotBeChanged()
    {
        Add("b0");
        Add("other");
        Write(_disk, 0, [1]);
        var bitmap = _engine.Graph.ResolveBitmap("disk", "b0");
        bitmap.AddUser();
        Assert.True(Info("b0").Busy);

        var error = Refused(_engine, ErrorIds.DirtyBitmapInUse, () => _engine.RemoveDirtyBitmap("disk", "b0"));
        Assert.Equal("Bitmap 'b0' is currently in use by another operation and cannot be used", error.Message);
        Refused(_engine, ErrorIds.DirtyBitmapInUse, () => _engine.ClearDirtyBitmap("disk", "b0"));
        Refused(_engine, ErrorIds.DirtyBitmapInUse, () => _engine.DisableDirtyBitmap("disk", "b0"));
        Refused(_engine, ErrorIds.DirtyBitmapInUse, () => _engine.EnableDirtyBitmap("disk", "b0"));
        Refused(_engine, ErrorIds.DirtyBitmapInUse, () => _engine.MergeDirtyBitmaps("disk", "b0", ["other"]));

        // A busy bitmap may still be a merge source, and it still records writes.
        _engine.MergeDirtyBitmaps("disk", "other", ["b0"]);
        Assert.Equal(65536, Info("other").Count);

        bitmap.RemoveUser();
        _engine.RemoveDirtyBitmap("disk", "b0");
        Assert.Equal(["other"], _engine.GetBlockNodes().Single().Bitmaps);
    }

    [Fact]
    public void RemovedBitmapNameCanBeReused()
    {
        Add("b0");
        Write(_disk, 0, [1]);
        _engine.RemoveDirtyBitmap("disk", "b0");
        Assert.Empty(_engine.GetDirtyBitmaps());
        Assert.Equal(0, Add("b0").Count);
    }
}
