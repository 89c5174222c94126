using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>The state of the engine's NBD server: Running is false when none was started.</summary>
[Cmdlet(VerbsCommon.Get, "NbdServer")]
[OutputType(typeof(NbdServerInfo))]
public sealed class GetNbdServerCommand : EngineCommand
{
    protected override void Process() => WriteObject(TargetEngine.GetNbdServer());
}
