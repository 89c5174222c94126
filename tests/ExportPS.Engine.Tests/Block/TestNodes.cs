using ExportPS.Engine.Block;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Tests.Block;

/// <summary>Block nodes built directly through the factory, without an engine.</summary>
internal static class TestNodes
{
    public static BlockNode Open(BlockNodeOptions options, BlockNode? backing = null, BlockNode? file = null) =>
        new(options, BlockDriverFactory.Open(options, file), backing, file);

    /// <summary>A memory node with discard=unmap, so discards and unmapping write-zeroes reach the driver.</summary>
    public static BlockNode Memory(long size, string name = "mem", BlockNode? backing = null, BlockCompression compression = BlockCompression.None) =>
        Open(new BlockNodeOptions
        {
            NodeName = name, Driver = BlockDriverKind.Memory, Size = size, Compression = compression, Backing = backing?.NodeName,
            Discard = BlockDiscardMode.Unmap,
        }, backing);

    public static byte[] Pattern(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    public static byte[] Read(BlockNode node, long offset, int length)
    {
        var buffer = new byte[length];
        node.ReadAsync(offset, buffer).AsTask().GetAwaiter().GetResult();
        return buffer;
    }

    public static void Write(BlockNode node, long offset, byte[] data) =>
        node.WriteAsync(offset, data).AsTask().GetAwaiter().GetResult();

    public static void Flush(BlockNode node) => node.FlushAsync().AsTask().GetAwaiter().GetResult();

    public static void Discard(BlockNode node, long offset, long length) =>
        node.DiscardAsync(offset, length).AsTask().GetAwaiter().GetResult();

    public static void Zero(BlockNode node, long offset, long length, WriteZeroesFlags flags = WriteZeroesFlags.None) =>
        node.WriteZeroesAsync(offset, length, flags).AsTask().GetAwaiter().GetResult();

    public static BlockStatus Status(BlockNode node, long offset, long length) =>
        node.GetBlockStatusAsync(offset, length).AsTask().GetAwaiter().GetResult();
}
