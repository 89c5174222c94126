using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>
/// block-export-del. Safe is refused while clients are connected; Hard drops them. The export stays visible with
/// ShuttingDown set until its last client is gone (Wait-BlockExport -Deleted waits for that).
/// </summary>
[Cmdlet(VerbsCommon.Remove, "BlockExport", SupportsShouldProcess = true, DefaultParameterSetName = IdSet)]
[OutputType(typeof(void))]
public sealed class RemoveBlockExportCommand : EngineCommand
{
    private const string IdSet = "Id";
    private const string InputObjectSet = "InputObject";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = IdSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ExportIdCompleter))]
    public string[] Id { get; set; } = [];

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [ValidateNotNull]
    public BlockExportInfo[] InputObject { get; set; } = [];

    [Parameter]
    public BlockExportRemoveMode Mode { get; set; } = BlockExportRemoveMode.Safe;

    protected override void Process()
    {
        var ids = ParameterSetName == InputObjectSet
            ? InputObject.Select(e => e.Id)
            : ExpandNames(Id, () => TargetEngine.GetBlockExports().Select(e => e.Id));
        foreach (var id in ids)
        {
            if (ShouldProcess(id, $"Remove block export ({Mode})"))
            {
                TryInvoke(id, () => TargetEngine.RemoveBlockExport(id, Mode));
            }
        }
    }
}
