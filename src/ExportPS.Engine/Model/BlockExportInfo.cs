namespace ExportPS.Engine.Model;

/// <summary>query-block-exports (BlockExportInfo) plus the extras a user wants to see.</summary>
public sealed record BlockExportInfo
{
    public required string Id { get; init; }

    public required BlockExportType Type { get; init; }

    public required string NodeName { get; init; }

    /// <summary>True after removal was requested, until the last client is gone.</summary>
    public required bool ShuttingDown { get; init; }

    public required bool Writable { get; init; }

    public bool Writethrough { get; init; }

    public string? IoThread { get; init; }

    /// <summary>The export type's own details (NBD: <see cref="NbdExportDetails"/>); null when the type has none.</summary>
    public BlockExportDetails? Details { get; init; }

    public required int Clients { get; init; }
}
