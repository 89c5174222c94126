using System.Collections;
using System.Management.Automation;
using ExportPS.Engine;
using ExportPS.Logging;

namespace ExportPS;

/// <summary>
/// The one place that decides which engine a command (or a tab completion) talks to: the handle bound to -Engine, else
/// the process-wide in-process engine.
/// </summary>
internal static class EngineLocator
{
    public const string ParameterName = "Engine";

    public static IExportEngine Resolve(IDictionary boundParameters) => Handle(boundParameters)?.Engine ?? ExportEngine.GetShared(CmdletLogRouter.Instance);

    /// <summary>The handle given with -Engine; completion passes it as the PSObject a variable holds.</summary>
    public static ExportEngineHandle? Handle(IDictionary boundParameters) => boundParameters[ParameterName] switch
    {
        ExportEngineHandle handle => handle,
        PSObject { BaseObject: ExportEngineHandle handle } => handle,
        _ => null,
    };
}
