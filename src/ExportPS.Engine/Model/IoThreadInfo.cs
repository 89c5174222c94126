namespace ExportPS.Engine.Model;

/// <summary>query-iothreads: one worker of the engine pool.</summary>
public sealed record IoThreadInfo
{
    public required string Id { get; init; }

    /// <summary>The OS thread id of the worker (QEMU's thread-id).</summary>
    public required int ThreadId { get; init; }

    /// <summary>How many exports and netdevs run on it.</summary>
    public required int Users { get; init; }

    /// <summary>The longest it polls before it sleeps, in nanoseconds (0: never); see <see cref="IoThreadOptions"/>.</summary>
    public long PollMaxNs { get; init; }

    public long PollGrow { get; init; }

    public long PollShrink { get; init; }
}
