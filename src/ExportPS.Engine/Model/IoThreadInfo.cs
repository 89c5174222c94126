namespace ExportPS.Engine.Model;

/// <summary>query-iothreads: one worker of the engine pool.</summary>
public sealed record IoThreadInfo
{
    public required string Id { get; init; }

    /// <summary>The OS thread id of the worker (QEMU's thread-id).</summary>
    public required int ThreadId { get; init; }

    /// <summary>How many exports and netdevs run on it.</summary>
    public required int Users { get; init; }
}
