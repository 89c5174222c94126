namespace ExportPS.Engine.Model;

/// <summary>The request kinds a fault rule of an x-fault-inject node can target.</summary>
public enum BlockFaultOperation
{
    Read,
    Write,
    Flush,
    Discard,
    WriteZeroes,
}

/// <summary>The error a faulty request fails with, as the client sees it (NBD and virtio-blk map it to their codes).</summary>
public enum BlockFaultErrno
{
    /// <summary>No error: the rule only delays requests.</summary>
    None,

    EIO,

    ENOSPC,
}

/// <summary>
/// One fault rule of an x-fault-inject node (ExportPS's x-block-fault-set): which requests it hits and what it does to
/// them. A node keeps one rule per operation; setting a rule for an operation replaces the one it had.
/// </summary>
public sealed record BlockFaultOptions
{
    public required string NodeName { get; init; }

    public required BlockFaultOperation Operation { get; init; }

    /// <summary>The error; None with a <see cref="Delay"/> slows requests without failing them.</summary>
    public BlockFaultErrno Errno { get; init; } = BlockFaultErrno.EIO;

    /// <summary>Start of the byte range the rule covers; a request hits it when it overlaps the range (flush always does).</summary>
    public long Offset { get; init; }

    /// <summary>Length of the range; null: to the end of the node.</summary>
    public long? Length { get; init; }

    /// <summary>Chance (0 to 1) that a request in range is hit.</summary>
    public double Probability { get; init; } = 1.0;

    /// <summary>How many requests the rule hits before it stops hitting; null: no limit.</summary>
    public long? Count { get; init; }

    /// <summary>How long a hit request waits before it is done (or fails).</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>
    /// Read and write: a hit request moves only this many leading bytes to or from the child, then fails with
    /// <see cref="Errno"/> (a torn request). Null: nothing moves.
    /// </summary>
    public long? ShortBytes { get; init; }

    /// <summary>Seed of the random numbers <see cref="Probability"/> draws, to repeat a run; null: unseeded.</summary>
    public int? Seed { get; init; }
}
