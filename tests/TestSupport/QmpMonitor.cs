using ExportPS.Engine.Errors;
using ExportPS.Engine.Qmp;

namespace ExportPS.TestSupport;

/// <summary>Connecting to a QMP monitor that a process is still bringing up.</summary>
public static class QmpMonitor
{
    /// <summary>
    /// Connects once the monitor listens: its socket file appears at bind, a moment before the listen, so a refused
    /// connection is tried again until <paramref name="timeout"/> (default 20 s).
    /// </summary>
    public static QmpExportEngine ConnectOnceListening(string socketPath, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            try
            {
                return QmpExportEngine.Connect(socketPath, TimeSpan.FromSeconds(10));
            }
            catch (EngineException e) when (e.ErrorId == ErrorIds.QmpConnectionFailed && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }
}
