using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>block-dirty-bitmap-clear.</summary>
[Cmdlet(VerbsCommon.Clear, "BlockDirtyBitmap", SupportsShouldProcess = true, DefaultParameterSetName = NameSet)]
[OutputType(typeof(DirtyBitmapInfo))]
public sealed class ClearBlockDirtyBitmapCommand : DirtyBitmapCommand
{
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override string Action => "Clear dirty bitmap";

    protected override bool PassThruRequested => PassThru;

    protected override void Invoke(string nodeName, string name) => TargetEngine.ClearDirtyBitmap(nodeName, name);
}
