namespace ExportPS.Engine.Configuration;

/// <summary>The kinds of configuration items, one per item class registered in Items/ConfigurationItemTypes.</summary>
public enum ConfigurationItemKind
{
    IoThread,
    BlockNode,
    DirtyBitmap,
    NbdServer,
    Export,
    Netdev,
}

public enum DriftAction
{
    Add,
    Remove,
    Change,
}

/// <summary>
/// One difference between the configuration and the engine (Test-ExportConfiguration -Detailed). Add and Remove concern
/// a whole item (Property is null); Change concerns one property. Values are display strings so the record serializes.
/// </summary>
public sealed record ConfigurationDrift
{
    public required ConfigurationItemKind Kind { get; init; }

    /// <summary>The id, node name, "node/name" of a bitmap, or "NbdServer".</summary>
    public required string Id { get; init; }

    public string? Property { get; init; }

    public string? Desired { get; init; }

    public string? Actual { get; init; }

    public required DriftAction Action { get; init; }

    /// <summary>A Change the engine cannot make in place: the item is removed and added again.</summary>
    public bool RequiresReplace { get; init; }
}
