namespace ExportPS.Engine.Model;

/// <summary>A fault rule as it stands (x-query-block-faults): its options and how often it has hit so far.</summary>
public sealed record BlockFaultInfo
{
    public required string NodeName { get; init; }

    public required BlockFaultOperation Operation { get; init; }

    public BlockFaultErrno Errno { get; init; }

    public long Offset { get; init; }

    public long? Length { get; init; }

    public double Probability { get; init; }

    /// <summary>Hits left before the rule stops hitting; null: no limit.</summary>
    public long? RemainingCount { get; init; }

    /// <summary>How long a hit request waits, in milliseconds (a plain number, so the record survives remoting).</summary>
    public long DelayMilliseconds { get; init; }

    public long? ShortBytes { get; init; }

    /// <summary>Requests the rule has hit.</summary>
    public long Hits { get; init; }
}
