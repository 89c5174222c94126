using System.Collections.Specialized;
using System.Management.Automation;
using ExportPS.Engine.Configuration;

namespace ExportPS.Commands;

/// <summary>The engine's state in the configuration schema, as an ordered hashtable Set-ExportConfiguration accepts back.</summary>
[Cmdlet(VerbsCommon.Get, "ExportConfiguration")]
[OutputType(typeof(OrderedDictionary))]
public sealed class GetExportConfigurationCommand : EngineCommand
{
    protected override void Process() => WriteObject(ExportConfigurationService.Get(TargetEngine));
}
