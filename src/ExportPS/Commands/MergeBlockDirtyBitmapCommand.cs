using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>block-dirty-bitmap-merge: ORs the source bitmaps into the target bitmap.</summary>
[Cmdlet(VerbsData.Merge, "BlockDirtyBitmap", SupportsShouldProcess = true)]
[OutputType(typeof(DirtyBitmapInfo))]
public sealed class MergeBlockDirtyBitmapCommand : EngineCommand
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string NodeName { get; set; } = null!;

    /// <summary>The target bitmap (QMP's target).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("Target")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DirtyBitmapNameCompleter))]
    public string Name { get; set; } = null!;

    /// <summary>Bitmaps to merge in: "name" on the same node or "node/name" on another one.</summary>
    [Parameter(Mandatory = true, Position = 2)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DirtyBitmapNameCompleter))]
    public string[] Source { get; set; } = [];

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void Process()
    {
        if (ShouldProcess($"{NodeName}/{Name}", $"Merge dirty bitmaps {string.Join(", ", Source)}")
            && TryInvoke(Name, () => TargetEngine.MergeDirtyBitmaps(NodeName, Name, Source))
            && PassThru)
        {
            WriteObject(TargetEngine.GetDirtyBitmaps().FirstOrDefault(b => b.NodeName == NodeName && b.Name == Name));
        }
    }
}
