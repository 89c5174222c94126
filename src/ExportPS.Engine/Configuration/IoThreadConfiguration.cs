using ExportPS.Engine.Model;

namespace ExportPS.Engine.Configuration;

/// <summary>An iothread (object-add qom-type=iothread). Poll settings left out are the engine's defaults and not compared.</summary>
public sealed record IoThreadConfiguration
{
    public required string Id { get; init; }

    public long? PollMaxNs { get; init; }

    public long? PollGrow { get; init; }

    public long? PollShrink { get; init; }

    public ConfigurationEnsure Ensure { get; init; }

    internal IoThreadOptions ToOptions() => new() { Id = Id, PollMaxNs = PollMaxNs, PollGrow = PollGrow, PollShrink = PollShrink };
}
