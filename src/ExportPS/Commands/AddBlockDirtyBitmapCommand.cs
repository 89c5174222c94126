using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>block-dirty-bitmap-add.</summary>
[Cmdlet(VerbsCommon.Add, "BlockDirtyBitmap", SupportsShouldProcess = true)]
[OutputType(typeof(DirtyBitmapInfo))]
public sealed class AddBlockDirtyBitmapCommand : EngineCommand
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string NodeName { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = null!;

    /// <summary>Bytes per bit; the engine's default (64 KiB) when not given.</summary>
    [Parameter]
    public long Granularity { get; set; } = DirtyBitmapOptions.DefaultGranularity;

    [Parameter]
    public SwitchParameter Persistent { get; set; }

    [Parameter]
    public SwitchParameter Disabled { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void Process()
    {
        var options = new DirtyBitmapOptions
        {
            NodeName = NodeName,
            Name = Name,
            Granularity = Granularity,
            Persistent = Persistent,
            Disabled = Disabled,
        };

        InvokeWithPassThru($"{NodeName}/{Name}", "Add dirty bitmap", () => TargetEngine.AddDirtyBitmap(options), PassThru, Name);
    }
}
