using ExportPS.Engine.Errors;
using Microsoft.Extensions.Logging;

namespace ExportPS.Engine;

/// <summary>
/// What the in-process subsystem services share: one lock that serializes every control-plane call (a call may span
/// subsystems, as an export's add looks up its node and iothread), whether the engine has been shut down, and the
/// logger factory the engine was created with. The data path (requests) never takes the lock.
/// </summary>
internal sealed class ControlPlane(ILoggerFactory loggers)
{
    /// <summary>Where every logger of the engine comes from (each subsystem takes its category, see Logging/).</summary>
    public ILoggerFactory Loggers { get; } = loggers;

    public object Lock { get; } = new();

    /// <summary>Set under <see cref="Lock"/> when the engine shuts down; nothing new may be added after.</summary>
    public bool Disposed { get; set; }

    public void ThrowIfDisposed()
    {
        if (Disposed)
        {
            throw new EngineException(ErrorIds.EngineDisposed, EngineErrorCategory.InvalidState, "The engine has been shut down");
        }
    }
}
