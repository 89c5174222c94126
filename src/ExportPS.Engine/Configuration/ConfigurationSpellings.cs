using ExportPS.Engine.Model;

namespace ExportPS.Engine.Configuration;

/// <summary>The values enums accept in a configuration: QEMU's spelling and the PowerShell (enum) name, case-insensitively.</summary>
internal static class ConfigurationSpellings
{
    /// <summary>QEMU's driver names, and the enum names that differ from them (FaultInject for x-fault-inject).</summary>
    public static readonly IReadOnlyDictionary<string, BlockDriverKind> Drivers = Of(
        BlockDriverNames.All.Select(name => (name.Key, name.Value))
            .Concat(Enum.GetValues<BlockDriverKind>().Select(kind => (kind.ToString(), kind)))
            .DistinctBy(spelling => spelling.Item1, StringComparer.OrdinalIgnoreCase)
            .ToArray());

    public static readonly IReadOnlyDictionary<string, BlockCompression> Compressions = Of(
        ("none", BlockCompression.None), ("lz4", BlockCompression.Lz4));

    public static readonly IReadOnlyDictionary<string, BlockDiscardMode> Discards = Of(
        ("ignore", BlockDiscardMode.Ignore), ("unmap", BlockDiscardMode.Unmap));

    public static readonly IReadOnlyDictionary<string, BlockDetectZeroes> DetectZeroes = Of(
        ("off", BlockDetectZeroes.Off), ("on", BlockDetectZeroes.On), ("unmap", BlockDetectZeroes.Unmap));

    public static readonly IReadOnlyDictionary<string, BlockExportType> ExportTypes = Of(
        ("nbd", BlockExportType.Nbd),
        ("vhost-user-blk", BlockExportType.VhostUserBlk), ("VhostUserBlk", BlockExportType.VhostUserBlk),
        ("fuse", BlockExportType.Fuse),
        ("vduse-blk", BlockExportType.VduseBlk), ("VduseBlk", BlockExportType.VduseBlk));

    public static readonly IReadOnlyDictionary<string, FuseExportAllowOther> AllowOther = Of(
        ("off", FuseExportAllowOther.Off), ("on", FuseExportAllowOther.On), ("auto", FuseExportAllowOther.Auto));

    public static readonly IReadOnlyDictionary<string, SocketAddressKind> AddressKinds = Of(
        ("inet", SocketAddressKind.Inet), ("unix", SocketAddressKind.Unix));

    public static readonly IReadOnlyDictionary<string, ConfigurationEnsure> Ensures = Of(
        ("Present", ConfigurationEnsure.Present), ("Absent", ConfigurationEnsure.Absent));

    private static Dictionary<string, T> Of<T>(params (string Text, T Value)[] spellings) =>
        spellings.ToDictionary(s => s.Text, s => s.Value, StringComparer.OrdinalIgnoreCase);
}
