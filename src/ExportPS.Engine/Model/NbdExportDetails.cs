namespace ExportPS.Engine.Model;

/// <summary>An NBD export's own part of its description.</summary>
public sealed record NbdExportDetails : BlockExportDetails
{
    /// <summary>The name clients ask for.</summary>
    public required string Name { get; init; }

    public string? Description { get; init; }

    /// <summary>The published dirty bitmaps, as given when the export was added.</summary>
    public string[] Bitmaps { get; init; } = [];

    /// <summary>Whether qemu:allocation-depth is published.</summary>
    public bool AllocationDepth { get; init; }

    /// <summary>The export name: what a table of exports shows for an NBD export.</summary>
    public override string ToString() => Name;
}
