namespace ExportPS.Engine.Configuration;

/// <summary>
/// The declarative state of an engine, as Get-/Test-/Set-ExportConfiguration see it.
/// An item listed here is described completely: properties it leaves out take the defaults of the matching QMP command
/// and are enforced. Items of the engine that are not listed are left alone, unless <see cref="Prune"/> is set (or the
/// caller asks for pruning); an item with <see cref="ConfigurationEnsure.Absent"/> is removed.
/// </summary>
public sealed record ExportConfiguration
{
    public IReadOnlyList<IoThreadConfiguration> IoThreads { get; init; } = [];

    public IReadOnlyList<BlockNodeConfiguration> BlockNodes { get; init; } = [];

    public IReadOnlyList<DirtyBitmapConfiguration> DirtyBitmaps { get; init; } = [];

    /// <summary>Null: the configuration says nothing about the NBD server.</summary>
    public NbdServerConfiguration? NbdServer { get; init; }

    public IReadOnlyList<BlockExportConfiguration> Exports { get; init; } = [];

    /// <summary>Netdevs of every type; hubs are their hubport netdevs.</summary>
    public IReadOnlyList<NetdevConfiguration> Netdevs { get; init; } = [];

    /// <summary>Remove every item of the engine that the configuration does not list.</summary>
    public bool Prune { get; init; }
}

/// <summary>Whether an item must exist (DSC's Ensure).</summary>
public enum ConfigurationEnsure
{
    Present,
    Absent,
}
