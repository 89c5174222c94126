using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Block.Faults;

/// <summary>
/// One armed fault rule: decides whether a request is hit (range, then the count left, then the probability) and counts
/// its hits. Not thread-safe: <see cref="BlockFaultSet"/> calls it under its lock.
/// </summary>
internal sealed class BlockFaultRule
{
    private readonly Random _random;
    private long? _remaining;
    private long _hits;

    public BlockFaultRule(BlockFaultOptions options)
    {
        Check(options);
        Options = options;
        _remaining = options.Count;
        _random = options.Seed is { } seed ? new Random(seed) : new Random();
    }

    public BlockFaultOptions Options { get; }

    /// <summary>Whether the request [offset, offset + length) is hit; a hit uses up one of the count.</summary>
    public bool TryHit(long offset, long length)
    {
        if (!Overlaps(offset, length) || _remaining == 0)
        {
            return false;
        }

        // Draw only for a fractional probability, so a seeded rule's sequence depends on the requests in range alone.
        if (Options.Probability < 1.0 && _random.NextDouble() >= Options.Probability)
        {
            return false;
        }

        _remaining--;
        _hits++;
        return true;
    }

    public BlockFaultInfo Describe() => new()
    {
        NodeName = Options.NodeName,
        Operation = Options.Operation,
        Errno = Options.Errno,
        Offset = Options.Offset,
        Length = Options.Length,
        Probability = Options.Probability,
        RemainingCount = _remaining,
        DelayMilliseconds = (long)Options.Delay.TotalMilliseconds,
        ShortBytes = Options.ShortBytes,
        Hits = _hits,
    };

    /// <summary>A flush has no range: it is always in range. An empty request counts as its first byte.</summary>
    private bool Overlaps(long offset, long length) =>
        Options.Operation == BlockFaultOperation.Flush
        || (offset + Math.Max(length, 1) > Options.Offset && (Options.Length is not { } rangeLength || offset < Options.Offset + rangeLength));

    private static void Check(BlockFaultOptions options)
    {
        string? problem = options switch
        {
            { Offset: < 0 } => $"Parameter 'offset' must be non-negative, not {options.Offset}",
            { Length: < 0 } => $"Parameter 'length' must be non-negative, not {options.Length}",
            { Probability: < 0 or > 1 or double.NaN } => $"Parameter 'probability' must be between 0 and 1, not {options.Probability}",
            { Count: < 0 } => $"Parameter 'count' must be non-negative, not {options.Count}",
            { ShortBytes: < 0 } => $"Parameter 'short-bytes' must be non-negative, not {options.ShortBytes}",
            { ShortBytes: not null, Operation: not (BlockFaultOperation.Read or BlockFaultOperation.Write) } =>
                "Parameter 'short-bytes' applies only to read and write",
            { ShortBytes: not null, Errno: BlockFaultErrno.None } => "A short request must fail: give an errno",
            { Errno: BlockFaultErrno.None } when options.Delay <= TimeSpan.Zero => "A rule without an errno must give a delay",
            _ when options.Delay < TimeSpan.Zero => "Parameter 'delay' must be non-negative",
            _ => null,
        };

        if (problem is not null)
        {
            throw new EngineException(ErrorIds.InvalidArgument, EngineErrorCategory.InvalidArgument, problem) { Target = options.NodeName };
        }
    }
}
