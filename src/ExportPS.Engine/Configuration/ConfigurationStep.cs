namespace ExportPS.Engine.Configuration;

/// <summary>The engine call a step makes: one Add and one Remove per kind of item (Items/), and the in-place changes (a bitmap's Enabled, a netdev's link).</summary>
public enum ConfigurationStepKind
{
    RemoveNetdev,
    RemoveExport,
    StopNbdServer,
    RemoveDirtyBitmap,
    RemoveBlockNode,
    RemoveIoThread,
    AddIoThread,
    AddBlockNode,
    AddDirtyBitmap,
    EnableDirtyBitmap,
    DisableDirtyBitmap,
    StartNbdServer,
    AddExport,
    AddNetdev,
    SetNetLink,
}

/// <summary>
/// One engine call of a plan, with a description for -WhatIf and -Verbose ("Add block node 'disk0' (memory, 1 GiB)").
/// Steps are in dependency order, so any prefix of a plan can be applied on its own (a declined -Confirm stops there).
/// </summary>
public sealed record ConfigurationStep
{
    public required ConfigurationStepKind Kind { get; init; }

    /// <summary>The id, node name, "node/name" of a bitmap, or "NbdServer" (ShouldProcess's target).</summary>
    public required string Target { get; init; }

    public required string Description { get; init; }

    /// <summary>Makes the engine call (set by the item's kind, which owns it).</summary>
    internal Action<Items.ConfigurationRun> Apply { get; init; } = null!;

    public override string ToString() => Description;
}
