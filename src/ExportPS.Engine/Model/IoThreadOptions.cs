namespace ExportPS.Engine.Model;

/// <summary>
/// object-add qom-type=iothread (IothreadProperties): a worker and how it polls before it sleeps. The poll settings
/// mean what QEMU's mean: polling adapts between 0 and PollMaxNs; a wait that stayed under the limit grows the window
/// by PollGrow (0: doubles it), a longer wait shrinks it by PollShrink (0: to nothing); PollMaxNs 0 turns polling off.
/// A setting left null is the engine's default (for a QEMU behind QMP, QEMU's).
/// </summary>
public sealed record IoThreadOptions
{
    /// <summary>
    /// ExportPS's poll limit for iothreads and the main loop alike, in nanoseconds. QEMU's is 32768, but on a virtual
    /// machine waking a sleeping CPU takes about 100 µs, so a 32 µs window never catches a queue-depth-1 client.
    /// </summary>
    public const long DefaultPollMaxNs = 200_000;

    public required string Id { get; init; }

    public long? PollMaxNs { get; init; }

    public long? PollGrow { get; init; }

    public long? PollShrink { get; init; }

    /// <summary>QEMU's refusal of the first negative poll setting, or null when all are in range.</summary>
    internal string? RangeError()
    {
        foreach (var (name, value) in (ReadOnlySpan<(string, long?)>)[("poll-max-ns", PollMaxNs), ("poll-grow", PollGrow), ("poll-shrink", PollShrink)])
        {
            if (value < 0)
            {
                return $"{name} value must be in range [0, {long.MaxValue}]";
            }
        }

        return null;
    }
}
