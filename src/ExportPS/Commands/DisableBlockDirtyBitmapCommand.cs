using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>block-dirty-bitmap-disable.</summary>
[Cmdlet(VerbsLifecycle.Disable, "BlockDirtyBitmap", SupportsShouldProcess = true, DefaultParameterSetName = NameSet)]
[OutputType(typeof(DirtyBitmapInfo))]
public sealed class DisableBlockDirtyBitmapCommand : DirtyBitmapCommand
{
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override string Action => "Disable dirty bitmap";

    protected override bool PassThruRequested => PassThru;

    protected override void Invoke(string nodeName, string name) => TargetEngine.DisableDirtyBitmap(nodeName, name);
}
