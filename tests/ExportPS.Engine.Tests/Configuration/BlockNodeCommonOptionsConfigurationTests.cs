using ExportPS.Engine.Configuration;
using ExportPS.Engine.Model;
using Xunit;
using static ExportPS.Engine.Tests.Configuration.Tables;

namespace ExportPS.Engine.Tests.Configuration;

/// <summary>Discard, DetectZeroes, NoFlush and ForceShare in configurations: spellings, checks, writing and drift.</summary>
public sealed class BlockNodeCommonOptionsConfigurationTests
{
    private static readonly BlockNodeConfiguration Node = new() { NodeName = "n", Driver = BlockDriverKind.Null, Size = 4096 };

    private static readonly BlockNodeConfiguration Changed = Node with
    {
        Discard = BlockDiscardMode.Unmap, DetectZeroes = BlockDetectZeroes.Unmap, NoFlush = true, ReadOnly = true, ForceShare = true,
    };

    [Fact]
    public void PowerShell_and_QEMU_spellings_read_the_same_options()
    {
        var powerShell = Parse(H(("BlockNodes", H(
            ("NodeName", "n"), ("Driver", "Null"), ("Size", 4096), ("ReadOnly", true),
            ("Discard", "Unmap"), ("DetectZeroes", "Unmap"), ("NoFlush", true), ("ForceShare", true)))));
        var qemu = Parse(H(("block-nodes", H(
            ("node-name", "n"), ("driver", "null-co"), ("size", 4096), ("read-only", true),
            ("discard", "unmap"), ("detect-zeroes", "unmap"), ("cache.no-flush", true), ("force-share", true)))));

        Assert.Equal(Changed, Assert.Single(powerShell.BlockNodes));
        Assert.Equal(Changed, Assert.Single(qemu.BlockNodes));
        Assert.True(Parse(H(("BlockNodes", H(("NodeName", "n"), ("Driver", "Null"), ("Size", 4096), ("no-flush", true))))).BlockNodes[0].NoFlush);
    }

    [Fact]
    public void Left_out_they_take_QEMUs_defaults()
    {
        var node = Assert.Single(Parse(H(("BlockNodes", H(("NodeName", "n"), ("Driver", "Null"), ("Size", 4096))))).BlockNodes);
        Assert.Equal((BlockDiscardMode.Ignore, BlockDetectZeroes.Off, false, false), (node.Discard, node.DetectZeroes, node.NoFlush, node.ForceShare));
    }

    [Theory]
    [InlineData("DetectZeroes", "Unmap", "BlockNodes[0].DetectZeroes", "setting detect-zeroes to unmap is not allowed without setting discard operation to unmap")]
    [InlineData("ForceShare", true, "BlockNodes[0].ForceShare", "force-share=on can only be used with read-only images")]
    [InlineData("Discard", "on", "BlockNodes[0].Discard", "'on'")]
    [InlineData("DetectZeroes", "yes", "BlockNodes[0].DetectZeroes", "'yes'")]
    public void Refused_values_name_their_path(string key, object value, string path, string message)
    {
        Assert.Contains(message, ParseError(H(("BlockNodes", H(("NodeName", "n"), ("Driver", "Null"), ("Size", 4096), (key, value)))), path));
    }

    [Fact]
    public void Only_changed_options_are_written_and_they_read_back()
    {
        var changed = Changed with { NodeName = "c" };
        var written = ConfigurationWriter.ToDictionary(new ExportConfiguration { BlockNodes = [Node, changed] });
        Assert.Equal(
            "@(@{NodeName='n'; Driver='Null'; Size=4096}, "
            + "@{NodeName='c'; Driver='Null'; Size=4096; ReadOnly=True; Discard='Unmap'; DetectZeroes='Unmap'; NoFlush=True; ForceShare=True})",
            Render(written["BlockNodes"]));
        Assert.Equal([Node, changed], ConfigurationParser.Parse(written).BlockNodes);
    }

    [Theory]
    [InlineData("Discard")]
    [InlineData("DetectZeroes")]
    [InlineData("NoFlush")]
    [InlineData("ForceShare")]
    public void A_difference_replaces_the_node(string property)
    {
        var readOnly = Node with { ReadOnly = true, Discard = BlockDiscardMode.Unmap };
        var desired = property switch
        {
            "Discard" => readOnly with { Discard = BlockDiscardMode.Ignore },
            "DetectZeroes" => readOnly with { DetectZeroes = BlockDetectZeroes.On },
            "NoFlush" => readOnly with { NoFlush = true },
            _ => readOnly with { ForceShare = true },
        };
        var plan = ConfigurationPlanner.Plan(new ExportConfiguration { BlockNodes = [desired] }, new ExportConfiguration { BlockNodes = [readOnly] }, new ConfigurationOptions());

        var drift = Assert.Single(plan.Drift);
        Assert.Equal((property, true), (drift.Property, drift.RequiresReplace));
        Assert.Equal(["RemoveBlockNode n", "AddBlockNode n"], plan.Steps.Select(s => $"{s.Kind} {s.Target}"));
    }
}
