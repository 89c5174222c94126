namespace ExportPS.Engine.Configuration;

/// <summary>
/// The result of comparing a configuration with an engine: the drift (what differs) and the steps that converge it.
/// Test-ExportConfiguration returns <see cref="InDesiredState"/> (and <see cref="Drift"/> with -Detailed); Set applies
/// <see cref="Steps"/> (or lists them with -WhatIf).
/// </summary>
public sealed record ConfigurationPlan
{
    public required IReadOnlyList<ConfigurationDrift> Drift { get; init; }

    public required IReadOnlyList<ConfigurationStep> Steps { get; init; }

    public bool InDesiredState => Drift.Count == 0;

    public string Summary => Steps.Count switch
    {
        0 => "Nothing to do: the engine is in the desired state",
        1 => "1 step",
        _ => $"{Steps.Count} steps",
    };
}
