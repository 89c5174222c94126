using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Tests.Block;
using Xunit;
using static ExportPS.Engine.Tests.Engine.EngineAssert;

namespace ExportPS.Engine.Tests.Engine;

/// <summary>blockdev-add / blockdev-del / query-named-block-nodes rules of the engine.</summary>
public sealed class BlockNodeRulesTests : IDisposable
{
    private readonly ExportEngine _engine = new();
    private readonly TempDirectory _temp = new();

    public void Dispose()
    {
        _engine.Dispose();
        _temp.Dispose();
    }

    private BlockNodeInfo AddMemory(string name, long size = 1 << 20, string? backing = null, bool readOnly = false) =>
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = name, Driver = BlockDriverKind.Memory, Size = size, Backing = backing, ReadOnly = readOnly });

    [Fact]
    public void AddedNodesAreListedWithTheirProperties()
    {
        var info = AddMemory("disk0", 1L << 40);
        Assert.Equal("disk0", info.NodeName);
        Assert.Equal(BlockDriverKind.Memory, info.Driver);
        Assert.Equal(1L << 40, info.Size);
        Assert.Equal(0, info.AllocatedBytes);
        string path = _temp.SparseFile(4096);
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "img", Driver = BlockDriverKind.File, Path = path, ReadOnly = true });
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "fmt", Driver = BlockDriverKind.Raw, File = "img", ReadOnly = true, Backing = "disk0" });

        var nodes = _engine.GetBlockNodes().ToDictionary(n => n.NodeName);
        Assert.Equal(["disk0", "fmt", "img"], nodes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(path, nodes["img"].Path);
        Assert.True(nodes["img"].ReadOnly);
        Assert.Equal("img", nodes["fmt"].File);
        Assert.Equal("disk0", nodes["fmt"].Backing);
        Assert.Equal(4096, nodes["fmt"].Size);
    }

    [Theory]
    [InlineData("", ErrorIds.MissingName)]
    [InlineData("1disk", ErrorIds.InvalidName)]
    [InlineData("disk 0", ErrorIds.InvalidName)]
    [InlineData("disk/0", ErrorIds.InvalidName)]
    [InlineData("-disk", ErrorIds.InvalidName)]
    public void BadNodeNamesAreRefused(string name, string errorId)
    {
        AddMemory("existing");
        Refused(_engine, errorId, () => AddMemory(name));
    }

    [Fact]
    public void NodeNameLengthLimitIs127()
    {
        AddMemory("a" + new string('b', 126));
        Refused(_engine, ErrorIds.InvalidName, () => AddMemory("a" + new string('b', 127)));
    }

    [Fact]
    public void DuplicateNodeIsRefusedWithQemuText()
    {
        AddMemory("disk0");
        var error = Refused(_engine, ErrorIds.BlockNodeExists, () => AddMemory("disk0", 4096));
        Assert.Equal("Duplicate nodes with node-name='disk0'", error.Message);
        Assert.Equal(EngineErrorCategory.AlreadyExists, error.Category);
    }

    [Fact]
    public void BadOptionsAreRefused()
    {
        AddMemory("disk0");
        Refused(_engine, ErrorIds.InvalidBlockNodeOptions, () => _engine.AddBlockNode(new BlockNodeOptions { NodeName = "m", Driver = BlockDriverKind.Memory }));
        Refused(_engine, ErrorIds.InvalidBlockNodeOptions, () => AddMemory("m", -1));
        Refused(_engine, ErrorIds.InvalidBlockNodeOptions, () => AddMemory("m", (64L << 40) + 1));
        Refused(_engine, ErrorIds.InvalidBlockNodeOptions, () => _engine.AddBlockNode(new BlockNodeOptions { NodeName = "n", Driver = BlockDriverKind.Null }));
        Refused(_engine, ErrorIds.InvalidBlockNodeOptions, () => _engine.AddBlockNode(new BlockNodeOptions { NodeName = "f", Driver = BlockDriverKind.File }));
        Refused(_engine, ErrorIds.InvalidBlockNodeOptions, () => _engine.AddBlockNode(new BlockNodeOptions { NodeName = "r", Driver = BlockDriverKind.Raw }));
        Refused(_engine, ErrorIds.InvalidBlockNodeOptions, () => _engine.AddBlockNode(new BlockNodeOptions { NodeName = "m", Driver = BlockDriverKind.Memory, Size = 1, File = "disk0" }));
        Refused(_engine, ErrorIds.InvalidBlockNodeOptions, () => _engine.AddBlockNode(new BlockNodeOptions { NodeName = "n", Driver = BlockDriverKind.Null, Size = 1, Compression = BlockCompression.Lz4 }));
    }

    [Fact]
    public void MissingReferencesAreRefused()
    {
        Refused(_engine, ErrorIds.BlockNodeNotFound, () => AddMemory("top", backing: "nothing"));
        var error = Refused(_engine, ErrorIds.BlockNodeNotFound, () => _engine.AddBlockNode(new BlockNodeOptions { NodeName = "r", Driver = BlockDriverKind.Raw, File = "nothing" }));
        Assert.Equal("Cannot find device=nothing nor node-name=nothing", error.Message);
        Refused(_engine, ErrorIds.BlockNodeOpenFailed, () => _engine.AddBlockNode(new BlockNodeOptions { NodeName = "f", Driver = BlockDriverKind.File, Path = Path.Combine(_temp.Path, "none") }));
    }

    [Fact]
    public void WritableRawOverReadOnlyChildIsRefused()
    {
        AddMemory("base", readOnly: true);
        var error = Refused(_engine, ErrorIds.InvalidBlockNodeOptions, () => _engine.AddBlockNode(new BlockNodeOptions { NodeName = "r", Driver = BlockDriverKind.Raw, File = "base" }));
        Assert.Equal(EngineErrorCategory.PermissionDenied, error.Category);
    }

    [Fact]
    public void RemoveRefusesUnknownAndUsedNodes()
    {
        AddMemory("base");
        AddMemory("top", backing: "base");
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "fmt", Driver = BlockDriverKind.Raw, File = "top" });

        Refused(_engine, ErrorIds.BlockNodeNotFound, () => _engine.RemoveBlockNode("nothing"));
        var backing = Refused(_engine, ErrorIds.BlockNodeInUse, () => _engine.RemoveBlockNode("base"));
        Assert.Equal("Node 'base' is busy: node is used as backing hd of 'top'", backing.Message);
        var file = Refused(_engine, ErrorIds.BlockNodeInUse, () => _engine.RemoveBlockNode("top"));
        Assert.Equal("Node 'top' is busy: node is used as file of 'fmt'", file.Message);

        _engine.RemoveBlockNode("fmt");
        _engine.RemoveBlockNode("top");
        _engine.RemoveBlockNode("base");
        Assert.Empty(_engine.GetBlockNodes());
        AddMemory("base");
    }

    [Fact]
    public void RemovingRawNodeLeavesItsChildWorking()
    {
        AddMemory("disk");
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "fmt", Driver = BlockDriverKind.Raw, File = "disk" });
        _engine.RemoveBlockNode("fmt");
        var disk = _engine.Graph.GetNode("disk");
        TestNodes.Write(disk, 0, [1, 2, 3]);
        Assert.Equal(new byte[] { 1, 2, 3 }, TestNodes.Read(disk, 0, 3));
    }

    [Fact]
    public void GetNodeOfUnknownNameIsNotFound()
    {
        var error = Assert.Throws<EngineException>(() => _engine.Graph.GetNode("nothing"));
        Assert.Equal(ErrorIds.BlockNodeNotFound, error.ErrorId);
        Assert.Equal(EngineErrorCategory.NotFound, error.Category);
    }

    [Fact]
    public void AllocatedBytesFollowWritesAndDiscards()
    {
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "disk", Driver = BlockDriverKind.Memory, Size = 1 << 20, Discard = BlockDiscardMode.Unmap });
        var node = _engine.Graph.GetNode("disk");
        TestNodes.Write(node, 0, new byte[256 * 1024]);
        Assert.Equal(256 * 1024, _engine.GetBlockNodes().Single().AllocatedBytes);
        TestNodes.Discard(node, 0, 1 << 20);
        Assert.Equal(0, _engine.GetBlockNodes().Single().AllocatedBytes);
    }

    [Fact]
    public void DisposedEngineRefusesNewNodes()
    {
        AddMemory("disk");
        _engine.Dispose();
        var error = Assert.Throws<EngineException>(() => AddMemory("other"));
        Assert.Equal(ErrorIds.EngineDisposed, error.ErrorId);
    }
}
