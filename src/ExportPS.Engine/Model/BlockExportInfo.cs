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

    /// <summary>The name clients ask for (NBD export name); null for types without one.</summary>
    public string? Name { get; init; }

    public string? Description { get; init; }

    /// <summary>NBD: the published dirty bitmaps, as given when the export was added.</summary>
    public string[] Bitmaps { get; init; } = [];

    /// <summary>NBD: whether qemu:allocation-depth is published.</summary>
    public bool AllocationDepth { get; init; }

    public required int Clients { get; init; }
}
