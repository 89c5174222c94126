using System.Management.Automation;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>Deprecated nbd-server-remove: removes NBD exports by the name clients use.</summary>
[Cmdlet(VerbsCommon.Remove, "NbdExport", SupportsShouldProcess = true)]
[OutputType(typeof(void))]
public sealed class RemoveNbdExportCommand : EngineCommand
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NbdExportNameCompleter))]
    public string[] Name { get; set; } = [];

    [Parameter]
    public BlockExportRemoveMode Mode { get; set; } = BlockExportRemoveMode.Safe;

    protected override void Begin() =>
        WriteWarning("Remove-NbdExport is deprecated (QEMU's nbd-server-remove); use Remove-BlockExport instead.");

    protected override void Process()
    {
        // The engine removes by id; the NBD name is looked up here, so a missing name is reported as the engine would.
        var exports = TargetEngine.GetBlockExports().Where(e => e.Details is NbdExportDetails);
        foreach (var export in SelectByName(exports, Name, NbdName, NotFoundErrors.Export))
        {
            string name = NbdName(export);
            if (ShouldProcess(name, $"Remove NBD export ({Mode})"))
            {
                TryInvoke(name, () => TargetEngine.RemoveBlockExport(export.Id, Mode));
            }
        }
    }

    private static string NbdName(BlockExportInfo export) => ((NbdExportDetails)export.Details!).Name;
}
