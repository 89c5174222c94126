using ExportPS.Engine.Model;

namespace ExportPS.Engine.Configuration;

/// <summary>How Test and Set treat what the configuration does not say, and how removals behave.</summary>
public sealed record ConfigurationOptions
{
    /// <summary>Remove every item of the engine the configuration does not list (also set by the configuration's Prune key).</summary>
    public bool Prune { get; init; }

    /// <summary>Safe refuses to remove an export with connected clients (the step fails); Hard drops them.</summary>
    public BlockExportRemoveMode ExportRemoveMode { get; init; } = BlockExportRemoveMode.Safe;

    /// <summary>How long a removed export may take to be deleted (its last client to go) before the step fails.</summary>
    public TimeSpan ExportDeleteTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Given to nbd-server-stop; the plan has removed the server's exports before, so it rarely matters.</summary>
    public TimeSpan NbdServerStopGracePeriod { get; init; } = TimeSpan.FromSeconds(5);
}
