using System.Buffers.Binary;
using System.Globalization;

namespace ExportPS.Engine.Net;

/// <summary>A 48-bit Ethernet address, written as QEMU does: six hex pairs separated by colons.</summary>
public readonly record struct MacAddress
{
    public const int Length = 6;

    private readonly ulong _value;

    private MacAddress(ulong value) => _value = value;

    public static MacAddress Broadcast { get; } = new(0xffff_ffff_ffff);

    public static MacAddress FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
            throw new ArgumentException($"a MAC address has {Length} bytes, not {bytes.Length}", nameof(bytes));
        Span<byte> padded = stackalloc byte[8];
        padded.Clear();
        bytes.CopyTo(padded[2..]);
        return new MacAddress(BinaryPrimitives.ReadUInt64BigEndian(padded));
    }

    /// <summary>Parses "52:54:00:12:34:56" (or with dashes); throws FormatException otherwise.</summary>
    public static MacAddress Parse(string text) =>
        TryParse(text, out var address) ? address : throw new FormatException($"invalid MAC address '{text}'");

    public static bool TryParse(string? text, out MacAddress address)
    {
        address = default;
        if (text is null || text.Length != 17)
            return false;
        var separator = text[2];
        if (separator is not (':' or '-'))
            return false;
        ulong value = 0;
        for (var i = 0; i < Length; i++)
        {
            if (i > 0 && text[i * 3 - 1] != separator)
                return false;
            if (!byte.TryParse(text.AsSpan(i * 3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var octet))
                return false;
            value = (value << 8) | octet;
        }

        address = new MacAddress(value);
        return true;
    }

    public void WriteTo(Span<byte> destination)
    {
        for (var i = 0; i < Length; i++)
            destination[i] = (byte)(_value >> (8 * (Length - 1 - i)));
    }

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Length];
        WriteTo(bytes);
        return string.Join(':', bytes.ToArray().Select(octet => octet.ToString("x2", CultureInfo.InvariantCulture)));
    }
}
