namespace ExportPS.Engine.Model;

/// <summary>
/// QEMU's driver strings for <see cref="BlockDriverKind"/>: the one table every front end (QMP, the host's command
/// line, configurations, the QMP client) reads and reports driver names with.
/// </summary>
public static class BlockDriverNames
{
    /// <summary>Every accepted name; the first one of each driver is the name QEMU reports (query-named-block-nodes' drv).</summary>
    public static readonly IReadOnlyList<KeyValuePair<string, BlockDriverKind>> All =
    [
        new("file", BlockDriverKind.File),
        new("memory", BlockDriverKind.Memory),
        new("null-co", BlockDriverKind.Null),

        // QEMU's null driver with the AIO request path; ExportPS has one null driver.
        new("null-aio", BlockDriverKind.Null),

        // The PowerShell enum name (New-BlockNode -Driver Null), accepted beside QEMU's two.
        new("null", BlockDriverKind.Null),
        new("raw", BlockDriverKind.Raw),
        new("nbd", BlockDriverKind.Nbd),

        // An ExportPS extension, hence QEMU's x- prefix.
        new("x-fault-inject", BlockDriverKind.FaultInject),
    ];

    /// <summary>The name QEMU reports for <paramref name="driver"/>.</summary>
    public static string Of(BlockDriverKind driver) => All.First(entry => entry.Value == driver).Key;

    /// <summary>The driver called <paramref name="name"/> (QEMU's spelling, case-sensitive), or null when ExportPS has none.</summary>
    public static BlockDriverKind? Find(string? name)
    {
        foreach (var (text, driver) in All)
        {
            if (text == name)
            {
                return driver;
            }
        }

        return null;
    }
}
