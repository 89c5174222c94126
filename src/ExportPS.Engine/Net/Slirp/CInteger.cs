using System.Globalization;

namespace ExportPS.Engine.Net.Slirp;

/// <summary>
/// Integers as C's strtol reads them with base 0, which QEMU's user netdev uses for its forward rules and addresses:
/// an optional sign, then 0x/0X for hexadecimal, a leading 0 for octal, decimal otherwise.
/// </summary>
internal static class CInteger
{
    /// <summary>
    /// Reads the number at the start of <paramref name="text"/>; <paramref name="rest"/> is what follows it. False when
    /// no digit starts the text or the value does not fit a long.
    /// </summary>
    public static bool TryParseLeading(string text, out long value, out string rest)
    {
        value = 0;
        rest = text;
        int position = 0;
        bool negative = false;
        if (position < text.Length && text[position] is '+' or '-')
            negative = text[position++] == '-';
        int radix = 10;
        if (position + 1 < text.Length && text[position] == '0' && text[position + 1] is 'x' or 'X' && IsDigit(text, position + 2, 16))
        {
            radix = 16;
            position += 2;
        }
        else if (position < text.Length && text[position] == '0')
        {
            radix = 8;
        }

        int start = position;
        try
        {
            while (IsDigit(text, position, radix))
                value = checked((value * radix) + int.Parse(text.AsSpan(position++, 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        }
        catch (OverflowException)
        {
            return false;
        }

        if (position == start)
            return false;
        value = negative ? -value : value;
        rest = text[position..];
        return true;
    }

    /// <summary>The whole text is one number.</summary>
    public static bool TryParse(string text, out long value) => TryParseLeading(text, out value, out string rest) && rest.Length == 0;

    /// <summary>A decimal integer and nothing else (strtol with base 10 and a check of the end).</summary>
    public static bool TryParseDecimal(string text, out long value) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    private static bool IsDigit(string text, int position, int radix) =>
        position < text.Length && (radix switch
        {
            16 => char.IsAsciiHexDigit(text[position]),
            8 => text[position] is >= '0' and <= '7',
            _ => char.IsAsciiDigit(text[position]),
        });
}
