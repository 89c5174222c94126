namespace ExportPS.Engine;

/// <summary>
/// Everything a front end (cmdlets, the host's command line, a QMP server) may ask of an engine: the subsystems, each
/// its own interface, each call mirroring one QMP command. A new subsystem (netdevs) is a new interface added to this
/// list and to <see cref="ComposedEngine"/>; the others stay as they are. A second implementation drives a remote
/// engine over QMP, so callers must not depend on anything else. Calls throw <see cref="Errors.EngineException"/> for
/// anything refused.
/// </summary>
public interface IExportEngine : IBlockGraph, IUserObjects, IBlockExports, INbdServerService, INetdevs
{
}
