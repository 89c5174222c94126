using System.Management.Automation;
using ExportPS.Engine;

namespace ExportPS;

/// <summary>Remove-Module stops the in-process engine: exports close, clients are dropped, iothreads end.</summary>
public sealed class ModuleLifetime : IModuleAssemblyCleanup
{
    public void OnRemove(PSModuleInfo psModuleInfo) => ExportEngine.DisposeShared();
}
