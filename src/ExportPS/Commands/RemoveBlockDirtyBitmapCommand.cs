using System.Management.Automation;

namespace ExportPS.Commands;

/// <summary>block-dirty-bitmap-remove. The engine refuses a bitmap an export publishes.</summary>
[Cmdlet(VerbsCommon.Remove, "BlockDirtyBitmap", SupportsShouldProcess = true, DefaultParameterSetName = NameSet)]
[OutputType(typeof(void))]
public sealed class RemoveBlockDirtyBitmapCommand : DirtyBitmapCommand
{
    protected override string Action => "Remove dirty bitmap";

    protected override void Invoke(string nodeName, string name) => TargetEngine.RemoveDirtyBitmap(nodeName, name);
}
