namespace ExportPS.Host.CommandLine;

internal enum HostAction
{
    Run,
    Help,
    Version,
}

/// <summary>The command line split into options, before any option's argument is parsed.</summary>
internal sealed record ScannedCommandLine(HostAction Action, IReadOnlyList<HostOption> Options);
