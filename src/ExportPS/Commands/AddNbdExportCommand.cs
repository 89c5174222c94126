using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>Deprecated nbd-server-add: an NBD export whose id is its name (or the node name).</summary>
[Cmdlet(VerbsCommon.Add, "NbdExport", SupportsShouldProcess = true)]
[OutputType(typeof(BlockExportInfo))]
public sealed class AddNbdExportCommand : EngineCommand
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("NodeName")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string Device { get; set; } = null!;

    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    [Parameter]
    public string? Description { get; set; }

    [Parameter]
    public SwitchParameter Writable { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DirtyBitmapNameCompleter))]
    public string? Bitmap { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void Begin() =>
        WriteWarning("Add-NbdExport is deprecated (QEMU's nbd-server-add); use Add-BlockExport -Type Nbd instead.");

    protected override void Process()
    {
        string id = Name ?? Device;
        var options = new BlockExportOptions
        {
            Type = BlockExportType.Nbd,
            Id = id,
            NodeName = Device,
            Writable = Writable,
            Nbd = new NbdExportOptions
            {
                Name = Name,
                Description = Description,
                Bitmaps = Bitmap is null ? [] : [Bitmap],
            },
        };

        InvokeWithPassThru(id, $"Export block node '{Device}' over NBD", () => ExportOutput.ToPSObject(TargetEngine.AddBlockExport(options)), PassThru);
    }
}
