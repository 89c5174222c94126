using System.Buffers.Binary;
using System.Security.Cryptography;

namespace ExportPS.Host.Tests.Durability;

/// <summary>
/// A 512-byte unit that says what it is: a magic, the run it belongs to, the sequence number of the write that carried
/// it, its own offset, filler derived from those, and a checksum over all of it. Read back from an image, it proves
/// which write put it there and that it arrived whole.
/// </summary>
internal static class SelfDescribingUnit
{
    public const int Size = 512;
    private const ulong Magic = 0x4550_5344_5552_424c; // "EPSDURBL"
    private const int ChecksumOffset = Size - 8;

    public static void Write(Span<byte> unit, ulong run, long sequence, long offset)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(unit, Magic);
        BinaryPrimitives.WriteUInt64LittleEndian(unit[8..], run);
        BinaryPrimitives.WriteInt64LittleEndian(unit[16..], sequence);
        BinaryPrimitives.WriteInt64LittleEndian(unit[24..], offset);
        ulong filler = run ^ (ulong)sequence * 0x9e37_79b9_7f4a_7c15 ^ (ulong)offset;
        for (int at = 32; at < ChecksumOffset; at += 8)
        {
            filler ^= filler << 13;
            filler ^= filler >> 7;
            filler ^= filler << 17;
            BinaryPrimitives.WriteUInt64LittleEndian(unit[at..], filler);
        }

        BinaryPrimitives.WriteUInt64LittleEndian(unit[ChecksumOffset..], Checksum(unit));
    }

    /// <summary>The sequence number of an intact unit of <paramref name="run"/> written at <paramref name="offset"/>; null otherwise.</summary>
    public static long? Sequence(ReadOnlySpan<byte> unit, ulong run, long offset)
    {
        if (BinaryPrimitives.ReadUInt64LittleEndian(unit) != Magic
            || BinaryPrimitives.ReadUInt64LittleEndian(unit[8..]) != run
            || BinaryPrimitives.ReadInt64LittleEndian(unit[24..]) != offset
            || BinaryPrimitives.ReadUInt64LittleEndian(unit[ChecksumOffset..]) != Checksum(unit))
        {
            return null;
        }

        return BinaryPrimitives.ReadInt64LittleEndian(unit[16..]);
    }

    private static ulong Checksum(ReadOnlySpan<byte> unit)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(unit[..ChecksumOffset], hash);
        return BinaryPrimitives.ReadUInt64LittleEndian(hash);
    }
}
