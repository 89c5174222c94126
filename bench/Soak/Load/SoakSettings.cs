namespace ExportPS.Soak.Load;

/// <summary>How big and how long a soak is. Connections and exports are totals over all targets.</summary>
internal sealed record SoakSettings
{
    public int Connections { get; init; } = 100;

    public int Exports { get; init; } = 10;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The clients start spread over this time, so their handshakes do not all land at once.</summary>
    public TimeSpan Ramp { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The data region each client owns on its export (whole 4 KiB blocks).</summary>
    public int RegionSize { get; init; } = 64 << 10;

    /// <summary>Pause between two export removals (hard, safe or of a spare export) on one target.</summary>
    public TimeSpan ChurnInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>QMP clients per target polling query-block-exports and x-query-nbd-server.</summary>
    public int PollersPerTarget { get; init; } = 2;
}
