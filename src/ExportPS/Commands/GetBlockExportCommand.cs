using System.Management.Automation;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>query-block-exports.</summary>
[Cmdlet(VerbsCommon.Get, "BlockExport")]
[OutputType(typeof(BlockExportInfo))]
public sealed class GetBlockExportCommand : EngineCommand
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ExportIdCompleter))]
    public string[]? Id { get; set; }

    protected override void Process()
    {
        foreach (var export in SelectByName(TargetEngine.GetBlockExports(), Id, e => e.Id, NotFoundErrors.Export))
        {
            WriteObject(ExportOutput.ToPSObject(export));
        }
    }
}
