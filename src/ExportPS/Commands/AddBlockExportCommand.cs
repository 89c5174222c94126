using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>
/// block-export-add. The common options are in every parameter set; each export type has a set of its own (only Nbd
/// so far), so later types add their options without touching the others.
/// </summary>
[Cmdlet(VerbsCommon.Add, "BlockExport", SupportsShouldProcess = true, DefaultParameterSetName = NbdSet)]
[OutputType(typeof(BlockExportInfo))]
public sealed class AddBlockExportCommand : EngineCommand
{
    private const string NbdSet = "Nbd";

    [Parameter]
    public BlockExportType Type { get; set; } = BlockExportType.Nbd;

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Id { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string NodeName { get; set; } = null!;

    [Parameter]
    public SwitchParameter Writable { get; set; }

    [Parameter]
    public SwitchParameter Writethrough { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(IoThreadIdCompleter))]
    public string? IoThread { get; set; }

    [Parameter]
    public SwitchParameter FixedIoThread { get; set; }

    /// <summary>NBD: the export name clients ask for; the node name when not given.</summary>
    [Parameter(ParameterSetName = NbdSet)]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    [Parameter(ParameterSetName = NbdSet)]
    public string? Description { get; set; }

    /// <summary>NBD: dirty bitmaps published as qemu:dirty-bitmap:NAME ("name" on the node, or "node/name").</summary>
    [Parameter(ParameterSetName = NbdSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DirtyBitmapNameCompleter))]
    public string[] Bitmap { get; set; } = [];

    [Parameter(ParameterSetName = NbdSet)]
    public SwitchParameter AllocationDepth { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void Process()
    {
        var options = new BlockExportOptions
        {
            Type = Type,
            Id = Id,
            NodeName = NodeName,
            Writable = Writable,
            Writethrough = Writethrough,
            IoThread = IoThread,
            FixedIoThread = FixedIoThread,
            Nbd = new NbdExportOptions
            {
                Name = Name,
                Description = Description,
                Bitmaps = Bitmap,
                AllocationDepth = AllocationDepth,
            },
        };

        InvokeWithPassThru(Id, $"Export block node '{NodeName}' over {Type}", () => ExportOutput.ToPSObject(TargetEngine.AddBlockExport(options)), PassThru);
    }
}
