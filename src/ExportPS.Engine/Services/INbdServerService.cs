using ExportPS.Engine.Model;

namespace ExportPS.Engine;

/// <summary>The NBD server that NBD exports are served on: nbd-server-start, nbd-server-stop and its query.</summary>
public interface INbdServerService
{
    NbdServerInfo StartNbdServer(NbdServerOptions options);

    /// <summary>Closes every NBD export; waits up to <paramref name="gracePeriod"/> for clients to finish, then drops them.</summary>
    void StopNbdServer(TimeSpan gracePeriod);

    NbdServerInfo GetNbdServer();
}
