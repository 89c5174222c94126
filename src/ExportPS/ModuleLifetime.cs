using System.Management.Automation;
using ExportPS.Engine;

namespace ExportPS;

/// <summary>
/// Remove-Module stops the in-process engine (exports close, clients are dropped, iothreads end) and closes the QMP
/// connections of engine handles; host engines keep running, as they are meant to outlive the session.
/// </summary>
public sealed class ModuleLifetime : IModuleAssemblyCleanup
{
    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        ExportEngineHandle.DisconnectAll();
        ExportEngine.DisposeShared();
    }
}
