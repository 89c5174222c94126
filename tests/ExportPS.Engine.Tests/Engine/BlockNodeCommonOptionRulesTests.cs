using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using Xunit;
using static ExportPS.Engine.Tests.Engine.EngineAssert;

namespace ExportPS.Engine.Tests.Engine;

/// <summary>The engine's checks on the options every blockdev has, and how it reports them.</summary>
public sealed class BlockNodeCommonOptionRulesTests : IDisposable
{
    private readonly ExportEngine _engine = new();

    public void Dispose() => _engine.Dispose();

    private static BlockNodeOptions Null(string name) => new() { NodeName = name, Driver = BlockDriverKind.Null, Size = 4096 };

    [Fact]
    public void Added_nodes_report_their_options()
    {
        _engine.AddBlockNode(Null("plain"));
        _engine.AddBlockNode(Null("all") with
        {
            Discard = BlockDiscardMode.Unmap, DetectZeroes = BlockDetectZeroes.Unmap, NoFlush = true, ReadOnly = true, ForceShare = true,
        });

        var nodes = _engine.GetBlockNodes().ToDictionary(n => n.NodeName);
        Assert.Equal((BlockDiscardMode.Ignore, BlockDetectZeroes.Off, false, false),
            (nodes["plain"].Discard, nodes["plain"].DetectZeroes, nodes["plain"].NoFlush, nodes["plain"].ForceShare));
        Assert.Equal((BlockDiscardMode.Unmap, BlockDetectZeroes.Unmap, true, true),
            (nodes["all"].Discard, nodes["all"].DetectZeroes, nodes["all"].NoFlush, nodes["all"].ForceShare));
    }

    [Fact]
    public void Detect_zeroes_unmap_needs_discard_unmap()
    {
        var error = Refused(_engine, ErrorIds.InvalidBlockNodeOptions,
            () => _engine.AddBlockNode(Null("n") with { DetectZeroes = BlockDetectZeroes.Unmap }));
        Assert.Equal((EngineErrorCategory.InvalidArgument, "n"), (error.Category, error.Target));
        Assert.Equal("setting detect-zeroes to unmap is not allowed without setting discard operation to unmap", error.Message);
    }

    [Fact]
    public void Force_share_needs_read_only_and_is_checked_first()
    {
        var error = Refused(_engine, ErrorIds.InvalidBlockNodeOptions,
            () => _engine.AddBlockNode(Null("n") with { ForceShare = true, DetectZeroes = BlockDetectZeroes.Unmap }));
        Assert.Equal("force-share=on can only be used with read-only images", error.Message);
    }
}
