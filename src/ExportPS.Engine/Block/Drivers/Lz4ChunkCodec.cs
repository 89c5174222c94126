using K4os.Compression.LZ4;

namespace ExportPS.Engine.Block.Drivers;

/// <summary>LZ4 (fast, about 2-4x on typical disk data): raw LZ4 blocks at the fastest level, managed code only.</summary>
internal sealed class Lz4ChunkCodec : IChunkCodec
{
    private Lz4ChunkCodec()
    {
    }

    /// <summary>The codec holds no state, so every compressed node shares it.</summary>
    public static Lz4ChunkCodec Instance { get; } = new();

    public int Compress(ReadOnlySpan<byte> source, Span<byte> destination) =>
        Math.Max(0, LZ4Codec.Encode(source, destination, LZ4Level.L00_FAST));

    public void Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (LZ4Codec.Decode(source, destination) != destination.Length)
        {
            throw new BlockIoException(BlockError.Io, "A compressed memory chunk is corrupt");
        }
    }
}
