using ExportPS.Engine.Model;
using Xunit;
using static ExportPS.Host.Tests.HostParsing;

namespace ExportPS.Host.Tests;

/// <summary>The options every --blockdev has (discard, detect-zeroes, cache.*, read-only, force-share), in keyval and JSON.</summary>
public sealed class BlockdevCommonOptionsParserTests
{
    private static BlockNodeOptions Blockdev(string argument) => Step<ExportPS.Host.CommandLine.AddBlockNodeStep>("blockdev", argument).Options;

    [Fact]
    public void A_file_node_takes_every_common_option()
    {
        var options = Blockdev("driver=file,node-name=x,filename=/img,discard=unmap,detect-zeroes=unmap,cache.direct=on,cache.no-flush=on");

        Assert.Equal((BlockDiscardMode.Unmap, BlockDetectZeroes.Unmap, true, true), (options.Discard, options.DetectZeroes, options.CacheDirect, options.NoFlush));
        Assert.False(options.ForceShare);
    }

    [Fact]
    public void The_same_options_in_JSON()
    {
        var options = Blockdev("""{"driver":"null-co","node-name":"n","discard":"ignore","cache":{"no-flush":true},"read-only":true,"force-share":true,"detect-zeroes":"on"}""");

        Assert.Equal((BlockDiscardMode.Ignore, BlockDetectZeroes.On, false, true, true, true),
            (options.Discard, options.DetectZeroes, options.CacheDirect, options.NoFlush, options.ReadOnly, options.ForceShare));
    }

    [Fact]
    public void Left_out_they_take_QEMUs_defaults()
    {
        var options = Blockdev("driver=null-co,node-name=n");

        Assert.Equal((BlockDiscardMode.Ignore, BlockDetectZeroes.Off, false, false, false, false),
            (options.Discard, options.DetectZeroes, options.CacheDirect, options.NoFlush, options.ReadOnly, options.ForceShare));
    }

    [Theory]
    [InlineData("driver=null-co,node-name=n,discard=on", "Parameter 'discard' does not accept value 'on'")]
    [InlineData("driver=null-co,node-name=n,detect-zeroes=yes", "Parameter 'detect-zeroes' does not accept value 'yes'")]
    [InlineData("driver=null-co,node-name=n,cache.no-flush=maybe", "Parameter 'cache.no-flush' expects 'on' or 'off'")]
    [InlineData("driver=null-co,node-name=n,force-share=1", "Parameter 'force-share' expects 'on' or 'off'")]
    [InlineData("""{"driver":"null-co","node-name":"n","discard":true}""", "Invalid parameter type for 'discard', expected: string")]
    [InlineData("""{"driver":"null-co","node-name":"n","cache":{"no-flush":"on"}}""", "Invalid parameter type for 'cache.no-flush', expected: boolean")]
    public void Bad_values_are_refused_with_QEMUs_words(string argument, string message)
    {
        Assert.Equal(message, Error("blockdev", argument));
    }
}
