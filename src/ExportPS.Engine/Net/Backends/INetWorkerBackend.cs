namespace ExportPS.Engine.Net.Backends;

/// <summary>
/// A backend with a wire of its own (socket, stream, dgram): it owns sockets and the threads that read and write
/// them, started once its netdev exists and stopped by Dispose.
/// </summary>
internal interface INetWorkerBackend : INetBackend, IDisposable
{
    /// <summary>Whether the far end is there to take frames (a stream peer is connected; a datagram socket always is).</summary>
    bool Connected { get; }

    void Start();
}
