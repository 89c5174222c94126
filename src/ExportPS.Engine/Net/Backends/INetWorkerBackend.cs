namespace ExportPS.Engine.Net.Backends;

/// <summary>
/// A backend with a wire of its own (socket, stream, dgram): it owns sockets and the threads that read and write
/// them, started once its netdev exists and stopped by Dispose.
/// </summary>
internal interface INetWorkerBackend : INetBackend, IDisposable
{
    /// <summary>Whether the far end is there to take frames (a stream peer is connected; a datagram socket always is).</summary>
    bool Connected { get; }

    /// <summary>What went wrong at the far end, when the backend tells (a vhost-user front-end's broken ring); null otherwise.</summary>
    string? Failure => null;

    /// <summary>Descriptor chains used on each virtqueue of a vhost-user guest; null for backends without virtqueues.</summary>
    long[]? VirtqueueCompletions => null;

    void Start();
}
