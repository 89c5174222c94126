using System.Management.Automation;
using ExportPS.Engine;

namespace ExportPS.Commands;

/// <summary>
/// The engine the cmdlets drive, for its events: Register-ObjectEvent -InputObject (Get-ExportEngine) -EventName ExportDeleted.
/// </summary>
[Cmdlet(VerbsCommon.Get, "ExportEngine")]
[OutputType(typeof(IExportEngine))]
public sealed class GetExportEngineCommand : EngineCommand
{
    protected override void Process() => WriteObject(TargetEngine);
}
