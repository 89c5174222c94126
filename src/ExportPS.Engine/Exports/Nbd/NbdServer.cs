using ExportPS.Engine.Model;

namespace ExportPS.Engine.Exports.Nbd;

/// <summary>The engine's NBD server: the listener, the connections and the table of export names.</summary>
internal sealed class NbdServer(NbdServerOptions options) : IDisposable
{
    public NbdServerOptions Options { get; } = options;

    public void Start() => throw new NotImplementedException("owned by the NBD work");

    public void StopListening()
    {
    }

    public NbdServerInfo ToInfo(int exports) => new() { Running = true, Endpoint = Options.Address.ToString(), Exports = exports };

    public void Dispose()
    {
    }
}
