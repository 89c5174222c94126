namespace ExportPS.Engine.Block.Drivers;

/// <summary>Compresses the memory driver's chunks; the driver only knows whether a chunk shrank.</summary>
internal interface IChunkCodec
{
    /// <summary>Compresses <paramref name="source"/>; returns the length written, or 0 when it does not fit <paramref name="destination"/>.</summary>
    int Compress(ReadOnlySpan<byte> source, Span<byte> destination);

    /// <summary>Restores exactly <paramref name="destination"/>.Length bytes from what <see cref="Compress"/> produced.</summary>
    void Decompress(ReadOnlySpan<byte> source, Span<byte> destination);
}
