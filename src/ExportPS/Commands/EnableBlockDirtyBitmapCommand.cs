using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>block-dirty-bitmap-enable.</summary>
[Cmdlet(VerbsLifecycle.Enable, "BlockDirtyBitmap", SupportsShouldProcess = true, DefaultParameterSetName = NameSet)]
[OutputType(typeof(DirtyBitmapInfo))]
public sealed class EnableBlockDirtyBitmapCommand : DirtyBitmapCommand
{
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override string Action => "Enable dirty bitmap";

    protected override bool PassThruRequested => PassThru;

    protected override void Invoke(string nodeName, string name) => TargetEngine.EnableDirtyBitmap(nodeName, name);
}
