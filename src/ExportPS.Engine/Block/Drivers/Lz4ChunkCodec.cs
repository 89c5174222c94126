using System.Runtime.InteropServices;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Interop;

namespace ExportPS.Engine.Block.Drivers;

/// <summary>LZ4 (fast, about 2-4x on typical disk data) through the system's liblz4.</summary>
internal sealed unsafe class Lz4ChunkCodec : IChunkCodec
{
    private Lz4ChunkCodec()
    {
    }

    /// <summary>The codec, or NotSupported when <paramref name="libraryName"/> cannot be loaded on this machine.</summary>
    public static Lz4ChunkCodec Load(string libraryName = Lz4.LibraryName)
    {
        // Only a check: the calls bind to the library through LibraryImport, which loads it on its own.
        if (NativeLibrary.TryLoad(libraryName, typeof(Lz4ChunkCodec).Assembly, null, out var handle))
        {
            NativeLibrary.Free(handle);
        }
        else
        {
            throw new EngineException(ErrorIds.CompressionNotSupported, EngineErrorCategory.NotSupported,
                $"LZ4 compression needs the LZ4 library ({libraryName}), which is not installed (Debian package liblz4-1)");
        }

        return new Lz4ChunkCodec();
    }

    public int Compress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        fixed (byte* from = source)
        fixed (byte* to = destination)
        {
            return Lz4.CompressDefault(from, to, source.Length, destination.Length);
        }
    }

    public void Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        fixed (byte* from = source)
        fixed (byte* to = destination)
        {
            if (Lz4.DecompressSafe(from, to, source.Length, destination.Length) != destination.Length)
            {
                throw new BlockIoException(BlockError.Io, "A compressed memory chunk is corrupt");
            }
        }
    }
}
