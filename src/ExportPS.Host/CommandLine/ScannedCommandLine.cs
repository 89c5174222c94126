using ExportPS.Host.Logging;

namespace ExportPS.Host.CommandLine;

internal enum HostAction
{
    Run,
    Help,
    Version,
}

/// <summary>The command line split into options, before any option's argument is parsed, and the logging options.</summary>
internal sealed record ScannedCommandLine(HostAction Action, IReadOnlyList<HostOption> Options)
{
    public LogSettings Logging { get; init; } = LogSettings.Default;

    /// <summary>No option but logging ones: the host serves its default disk (<see cref="DefaultConfiguration"/>).</summary>
    public bool UsesDefaultConfiguration { get; init; }
}
