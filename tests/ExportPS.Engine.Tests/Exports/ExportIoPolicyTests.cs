using ExportPS.Engine.Block;
using ExportPS.Engine.Exports;
using ExportPS.Engine.Model;
using ExportPS.Engine.Tests.Nbd;
using Xunit;

namespace ExportPS.Engine.Tests.Exports;

/// <summary>
/// Writethrough and FUA as every export type applies them: a durable write is one FUA write, a durable trim or
/// write-zeroes is followed by one flush, and nothing else adds a flush.
/// </summary>
public sealed class ExportIoPolicyTests
{
    [Theory]
    [InlineData(false, false, "write")]
    [InlineData(false, true, "write+fua")]
    [InlineData(true, false, "write+fua")]
    [InlineData(true, true, "write+fua")]
    public async Task A_write_is_one_fua_write_when_durability_is_asked(bool writethrough, bool fua, string expected)
    {
        var (policy, driver, node) = Export(writethrough);

        await policy.WriteAsync(node, 0, "data"u8.ToArray(), fua);

        Assert.Equal([expected], driver.Durability.ToArray());
        Assert.Equal("data"u8.ToArray(), Read(node, 4));
    }

    [Theory]
    [InlineData(false, false, new[] { "discard" })]
    [InlineData(false, true, new[] { "discard", "flush" })]
    [InlineData(true, false, new[] { "discard", "flush" })]
    [InlineData(true, true, new[] { "discard", "flush" })]
    public async Task A_discard_is_flushed_when_durability_is_asked(bool writethrough, bool fua, string[] expected)
    {
        var (policy, driver, node) = Export(writethrough);

        await policy.DiscardAsync(node, 0, 4096, fua);

        Assert.Equal(expected, driver.Durability.ToArray());
    }

    [Theory]
    [InlineData(false, false, new[] { "zero" })]
    [InlineData(false, true, new[] { "zero", "flush" })]
    [InlineData(true, false, new[] { "zero", "flush" })]
    [InlineData(true, true, new[] { "zero", "flush" })]
    public async Task Write_zeroes_are_flushed_when_durability_is_asked(bool writethrough, bool fua, string[] expected)
    {
        var (policy, driver, node) = Export(writethrough);
        await node.WriteAsync(0, new byte[] { 1, 2, 3, 4 });
        driver.Durability.Clear();

        await policy.WriteZeroesAsync(node, 0, 4096, WriteZeroesFlags.MayUnmap, fua);

        Assert.Equal(expected, driver.Durability.ToArray());
        Assert.Equal(new byte[4], Read(node, 4));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_policy_follows_the_export_options(bool writethrough)
    {
        var policy = ExportIoPolicy.For(new BlockExportOptions { Id = "e0", NodeName = "disk", Writethrough = writethrough });

        Assert.Equal(writethrough, policy.Writethrough);
    }

    private static (ExportIoPolicy Policy, ScriptedBlockDriver Driver, BlockNode Node) Export(bool writethrough)
    {
        var driver = new ScriptedBlockDriver(1 << 16);
        var node = new BlockNode(new BlockNodeOptions { NodeName = "disk", Driver = BlockDriverKind.Memory, Size = 1 << 16, Discard = BlockDiscardMode.Unmap }, driver, backing: null);
        return (new ExportIoPolicy(writethrough), driver, node);
    }

    private static byte[] Read(BlockNode node, int length)
    {
        var buffer = new byte[length];
        node.ReadAsync(0, buffer).AsTask().GetAwaiter().GetResult();
        return buffer;
    }
}
