using ExportPS.Engine.Block;
using ExportPS.Engine.Model;
using Xunit;
using static ExportPS.Engine.Tests.Block.TestNodes;

namespace ExportPS.Engine.Tests.Block;

/// <summary>Checks every request passes once in BlockNode, for every driver; and the raw and null drivers.</summary>
public sealed class BlockNodeTests
{
    private static BlockNode Null(long size, bool readZeroes = true, bool readOnly = false) =>
        Open(new BlockNodeOptions { NodeName = "null", Driver = BlockDriverKind.Null, Size = size, ReadZeroes = readZeroes, ReadOnly = readOnly });

    public static TheoryData<string> Drivers => new() { "memory", "lz4", "null", "raw" };

    private static BlockNode Create(string driver, long size, bool readOnly = false) => driver switch
    {
        "memory" => Open(new BlockNodeOptions { NodeName = "m", Driver = BlockDriverKind.Memory, Size = size, ReadOnly = readOnly }),
        "lz4" => Open(new BlockNodeOptions { NodeName = "m", Driver = BlockDriverKind.Memory, Size = size, ReadOnly = readOnly, Compression = BlockCompression.Lz4 }),
        "null" => Null(size, readOnly: readOnly),
        _ => RawOver(Memory(size, "child"), readOnly),
    };

    private static BlockNode RawOver(BlockNode child, bool readOnly = false) =>
        Open(new BlockNodeOptions { NodeName = "raw", Driver = BlockDriverKind.Raw, File = child.NodeName, ReadOnly = readOnly, Discard = BlockDiscardMode.Unmap }, file: child);

    [Theory]
    [MemberData(nameof(Drivers))]
    public void LocalDriversReadInline_ThroughRawAndBacking(string driver)
    {
        using var node = Create(driver, 4096);
        Assert.True(node.ReadsCompleteInline);
        using var overlay = Memory(4096, "overlay", backing: node);
        Assert.True(overlay.ReadsCompleteInline);
    }

    [Fact]
    public void AFilterThatMayDelayReads_IsNotInline_NorWhatItBacks()
    {
        using var child = Memory(4096, "child");
        using var filter = Open(new BlockNodeOptions { NodeName = "f", Driver = BlockDriverKind.FaultInject, File = "child" }, file: child);
        Assert.False(filter.ReadsCompleteInline);
        using var overlay = Memory(4096, "overlay", backing: filter);
        Assert.False(overlay.ReadsCompleteInline);
        Assert.False(RawOver(filter).ReadsCompleteInline);
    }

    [Theory]
    [MemberData(nameof(Drivers))]
    public void OutOfRangeRequestsAreInvalidArguments(string driver)
    {
        using var node = Create(driver, 10_000);
        void Refused(Action action) => Assert.Equal(BlockError.InvalidArgument, Assert.Throws<BlockIoException>(action).Error);
        Refused(() => Read(node, 9_999, 2));
        Refused(() => Read(node, -1, 1));
        Refused(() => Write(node, 10_000, [1]));
        Refused(() => Discard(node, 0, 10_001));
        Refused(() => Zero(node, long.MaxValue, 1));
        Refused(() => Status(node, 5_000, -1));
        Assert.Empty(Read(node, 10_000, 0));
        Assert.Equal(new BlockStatus(0, false, true, 0), Status(node, 10_000, 0));
    }

    [Theory]
    [MemberData(nameof(Drivers))]
    public void ReadOnlyNodesRefuseEveryWrite(string driver)
    {
        using var node = Create(driver, 10_000, readOnly: true);
        void Refused(Action action) => Assert.Equal(BlockError.ReadOnly, Assert.Throws<BlockIoException>(action).Error);
        Refused(() => Write(node, 0, [1]));
        Refused(() => Discard(node, 0, 4096));
        Refused(() => Zero(node, 0, 4096));
        Refused(() => Write(node, 20_000, [1]));
        Assert.Equal(new byte[10], Read(node, 0, 10));
        Flush(node);
    }

    [Theory]
    [MemberData(nameof(Drivers))]
    public async Task ForceUnitAccessWritesAreReadBack(string driver)
    {
        using var node = Create(driver, 1 << 20);
        await node.WriteAsync(4096, Pattern(4096, 1), forceUnitAccess: true);
        await node.FlushAsync();
        Assert.Equal(driver == "null" ? new byte[4096] : Pattern(4096, 1), Read(node, 4096, 4096));
    }

    [Fact]
    public async Task NullDriverDropsWritesAndReportsAllocation()
    {
        using var node = Null(1 << 30);
        Write(node, 0, [1, 2, 3]);
        Assert.Equal(new byte[3], Read(node, 0, 3));
        Assert.Equal(new BlockStatus(1 << 30, Data: false, Zero: true, Depth: 1), Status(node, 0, 1 << 30));
        Assert.Equal(0, node.AllocatedBytes);

        using var garbage = Null(4096, readZeroes: false);
        var buffer = new byte[] { 7, 7 };
        await garbage.ReadAsync(0, buffer);
        Assert.Equal(new byte[] { 7, 7 }, buffer);
        Assert.Equal(new BlockStatus(4096, Data: true, Zero: false, Depth: 1), Status(garbage, 0, 4096));
    }

    [Fact]
    public void RawPassesEveryRequestToItsChild()
    {
        using var child = Memory(1 << 20, "child");
        child.Bitmaps.Add(new DirtyBitmapOptions { NodeName = "child", Name = "b" });
        using var raw = RawOver(child);
        Assert.Equal(child.Size, raw.Size);

        Write(raw, 70_000, Pattern(1000, 1));
        Assert.Equal(Pattern(1000, 1), Read(child, 70_000, 1000));
        Assert.Equal(child.AllocatedBytes, raw.AllocatedBytes);
        Assert.Equal(65536, child.Bitmaps.Get("b").Count);
        Assert.Equal(new BlockStatus(65536, Data: false, Zero: true, Depth: 0), Status(raw, 0, 1 << 20));
        Assert.Equal(new BlockStatus(65536, Data: true, Zero: false, Depth: 1), Status(raw, 65536, (1 << 20) - 65536));

        Zero(raw, 65536, 65536, WriteZeroesFlags.MayUnmap);
        Assert.Equal(0, child.AllocatedBytes);
        Write(raw, 0, [9]);
        Discard(raw, 0, 65536);
        Assert.Equal(new byte[1], Read(child, 0, 1));
        Assert.Equal(2 * 65536, child.Bitmaps.Get("b").Count);
    }

    [Fact]
    public void RawOverReadOnlyChildMustBeReadOnly()
    {
        using var child = Open(new BlockNodeOptions { NodeName = "child", Driver = BlockDriverKind.Memory, Size = 4096, ReadOnly = true });
        Assert.Throws<ExportPS.Engine.Errors.EngineException>(() => RawOver(child));
        using var raw = RawOver(child, readOnly: true);
        Assert.Equal(new byte[4], Read(raw, 0, 4));
    }

    [Fact]
    public async Task ConcurrentPartialWritesOverBackingKeepEveryWrite()
    {
        using var backing = Memory(1 << 20, "base");
        Write(backing, 0, Pattern(1 << 20, 1));
        using var top = Memory(1 << 20, "top", backing);
        // 8 writers share every chunk; each chunk is copied up once and no writer's bytes are overwritten by the copy.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            var block = new byte[512];
            for (int b = t; b < (1 << 20) / 2048; b += 8)
            {
                Array.Fill(block, (byte)(b | 1));
                await top.WriteAsync(b * 2048L, block);
            }
        })));

        var expected = Pattern(1 << 20, 1);
        for (int b = 0; b < (1 << 20) / 2048; b++)
        {
            Array.Fill(expected, (byte)(b | 1), b * 2048, 512);
        }

        Assert.Equal(expected, Read(top, 0, 1 << 20));
    }
}
