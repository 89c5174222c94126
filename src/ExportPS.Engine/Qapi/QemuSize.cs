using System.Globalization;

namespace ExportPS.Engine.Qapi;

/// <summary>QEMU's size syntax: a non-negative integer, optionally with a binary suffix (b, k, M, G, T, P, E).</summary>
internal static class QemuSize
{
    public const string Description = "a non-negative number below 2^63, with an optional suffix k, M, G, T, P or E";

    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return long.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out bytes) && bytes >= 0;
        }

        int digits = 0;
        while (digits < text.Length && char.IsAsciiDigit(text[digits]))
        {
            digits++;
        }

        if (digits == 0 || text.Length - digits > 1)
        {
            return false;
        }

        int shift = digits == text.Length ? 0 : char.ToLowerInvariant(text[digits]) switch
        {
            'b' => 0,
            'k' => 10,
            'm' => 20,
            'g' => 30,
            't' => 40,
            'p' => 50,
            'e' => 60,
            _ => -1,
        };
        if (shift < 0 || !long.TryParse(text.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out long number)
            || number > long.MaxValue >> shift)
        {
            return false;
        }

        bytes = number << shift;
        return true;
    }
}
