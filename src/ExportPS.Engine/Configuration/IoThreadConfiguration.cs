namespace ExportPS.Engine.Configuration;

/// <summary>An iothread (object-add qom-type=iothread).</summary>
public sealed record IoThreadConfiguration
{
    public required string Id { get; init; }

    public ConfigurationEnsure Ensure { get; init; }
}
