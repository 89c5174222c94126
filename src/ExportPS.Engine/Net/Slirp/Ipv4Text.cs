namespace ExportPS.Engine.Net.Slirp;

/// <summary>
/// IPv4 addresses as inet_aton(3) reads them, as QEMU's user netdev does: one to four parts, each decimal, octal or
/// hexadecimal, the last part filling the bytes left (so "10.2" is 10.0.0.2). Values are in host byte order.
/// </summary>
internal static class Ipv4Text
{
    public static bool TryParse(string text, out uint address)
    {
        address = 0;
        string[] parts = text.Split('.');
        if (parts.Length > 4)
            return false;
        for (int i = 0; i < parts.Length; i++)
        {
            if (!CInteger.TryParse(parts[i], out long part) || part < 0 || parts[i].StartsWith('+'))
                return false;
            bool last = i == parts.Length - 1;
            long limit = last ? (1L << (8 * (4 - i))) - 1 : 255;
            if (part > limit)
                return false;
            address |= last ? (uint)part : (uint)part << (8 * (3 - i));
        }

        return true;
    }

    public static string Format(uint address) =>
        $"{address >> 24}.{(address >> 16) & 0xFF}.{(address >> 8) & 0xFF}.{address & 0xFF}";
}
