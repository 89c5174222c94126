using System.Globalization;

namespace ExportPS.Engine.Configuration;

/// <summary>Sizes for people: "1 GiB", "1.5 GiB", "512 bytes".</summary>
internal static class ByteSizeText
{
    private static readonly string[] Units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

    public static string Format(long bytes)
    {
        int unit = 0;
        double value = bytes;
        while (Math.Abs(value) >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes")
            : string.Create(CultureInfo.InvariantCulture, $"{Math.Round(value, 2)} {Units[unit]}");
    }
}
