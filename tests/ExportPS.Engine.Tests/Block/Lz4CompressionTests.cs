using ExportPS.Engine.Block.Drivers;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using Xunit;
using Xunit.Abstractions;
using static ExportPS.Engine.Tests.Block.TestNodes;

namespace ExportPS.Engine.Tests.Block;

public sealed class Lz4CompressionTests(ITestOutputHelper output)
{
    private const int Chunk = MemoryBlockDriver.ChunkSize;

    private static readonly string[] Words = ["block ", "node ", "export ", "memory ", "chunk ", "qemu ", "nbd ", "write "];

    /// <summary>Text-like data (random words of a small vocabulary): compresses well, but not to nothing.</summary>
    private static byte[] Compressible(int length, int seed)
    {
        var random = new Random(seed);
        var data = new byte[length];
        for (int i = 0; i < length;)
        {
            foreach (char c in Words[random.Next(Words.Length)])
            {
                if (i < length)
                {
                    data[i++] = (byte)c;
                }
            }
        }

        return data;
    }

    [Fact]
    public void CodecRoundTripsAndRefusesIncompressibleData()
    {
        var codec = Lz4ChunkCodec.Instance;
        var plain = Compressible(Chunk, 1);
        var packed = new byte[Chunk - 1];
        int length = codec.Compress(plain, packed);
        Assert.InRange(length, 1, Chunk / 2);
        var restored = new byte[Chunk];
        codec.Decompress(packed.AsSpan(0, length), restored);
        Assert.Equal(plain, restored);

        Assert.Equal(0, codec.Compress(Pattern(Chunk, 2), packed));
    }

    [Fact]
    public void CorruptChunkIsAnIoError()
    {
        var codec = Lz4ChunkCodec.Instance;
        var error = Assert.Throws<ExportPS.Engine.Block.BlockIoException>(() => codec.Decompress(new byte[] { 0xff, 0xff, 0xff }, new byte[Chunk]));
        Assert.Equal(ExportPS.Engine.Block.BlockError.Io, error.Error);
    }

    [Fact]
    public void CompressedNodeStoresCompressibleDataInLessMemory()
    {
        using var plain = Memory(64 * Chunk);
        using var packed = Memory(64 * Chunk, compression: BlockCompression.Lz4);
        var data = Compressible(64 * Chunk, 3);
        Write(plain, 0, data);
        Write(packed, 0, data);

        Assert.Equal(64 * Chunk, plain.AllocatedBytes);
        output.WriteLine($"4 MiB of text-like data: {packed.AllocatedBytes} bytes compressed ({100.0 * packed.AllocatedBytes / plain.AllocatedBytes:F1}%)");
        Assert.True(packed.AllocatedBytes < plain.AllocatedBytes / 2, $"compressed {packed.AllocatedBytes} bytes");
        Assert.Equal(data, Read(packed, 0, data.Length));
    }

    [Fact]
    public void IncompressibleChunksAreStoredRaw()
    {
        using var node = Memory(4 * Chunk, compression: BlockCompression.Lz4);
        var data = Pattern(2 * Chunk, 4);
        Write(node, 0, data);
        Assert.Equal(2 * Chunk, node.AllocatedBytes);
        Assert.Equal(data, Read(node, 0, data.Length));
    }

    [Fact]
    public void PartialWritesAndZeroesRewriteCompressedChunks()
    {
        using var node = Memory(4 * Chunk, compression: BlockCompression.Lz4);
        var model = Compressible(4 * Chunk, 5);
        Write(node, 0, model);

        var patch = Pattern(1000, 6);
        Write(node, Chunk - 500, patch);
        patch.CopyTo(model, Chunk - 500);
        Zero(node, 3 * Chunk + 10, 20);
        Array.Clear(model, 3 * Chunk + 10, 20);
        Assert.Equal(model, Read(node, 0, model.Length));
        Assert.Equal(model.AsSpan(Chunk - 700, 1400).ToArray(), Read(node, Chunk - 700, 1400));

        long before = node.AllocatedBytes;
        Discard(node, 2 * Chunk, Chunk);
        Assert.True(node.AllocatedBytes < before);
        Zero(node, 0, 4 * Chunk, ExportPS.Engine.Block.WriteZeroesFlags.MayUnmap);
        Assert.Equal(0, node.AllocatedBytes);
    }

    [Fact]
    public void CompressionOnOtherDriversIsRefused()
    {
        var error = Assert.Throws<EngineException>(() => Open(new BlockNodeOptions { NodeName = "n", Driver = BlockDriverKind.Null, Size = 1, Compression = BlockCompression.Lz4 }));
        Assert.Equal(ErrorIds.InvalidBlockNodeOptions, error.ErrorId);
    }

    [Fact]
    public async Task ConcurrentPartialWritesToOneCompressedChunkKeepEveryWrite()
    {
        using var node = Memory(Chunk, compression: BlockCompression.Lz4);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            var block = new byte[512];
            for (int b = t; b < Chunk / 512; b += 8)
            {
                Array.Fill(block, (byte)(b + 1));
                await node.WriteAsync(b * 512L, block);
            }
        })));

        var all = Read(node, 0, Chunk);
        for (int b = 0; b < Chunk / 512; b++)
        {
            Assert.True(all.AsSpan(b * 512, 512).IndexOfAnyExcept((byte)(b + 1)) < 0, $"block {b} lost its write");
        }
    }
}
