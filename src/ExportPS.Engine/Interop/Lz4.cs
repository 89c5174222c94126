using System.Runtime.InteropServices;

namespace ExportPS.Engine.Interop;

/// <summary>The reference LZ4 library (Debian liblz4-1); no managed LZ4 package is available to ExportPS.</summary>
internal static unsafe partial class Lz4
{
    public const string LibraryName = "liblz4.so.1";

    /// <summary>Compressed length, or 0 when the result does not fit in <paramref name="capacity"/> bytes.</summary>
    [LibraryImport(LibraryName, EntryPoint = "LZ4_compress_default")]
    public static partial int CompressDefault(byte* source, byte* destination, int sourceSize, int capacity);

    /// <summary>Decompressed length, or a negative number for malformed input; never writes past <paramref name="capacity"/>.</summary>
    [LibraryImport(LibraryName, EntryPoint = "LZ4_decompress_safe")]
    public static partial int DecompressSafe(byte* source, byte* destination, int compressedSize, int capacity);
}
