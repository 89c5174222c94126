using System.Management.Automation;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>The dirty bitmaps of every node (QEMU shows them in query-named-block-nodes' dirty-bitmaps).</summary>
[Cmdlet(VerbsCommon.Get, "BlockDirtyBitmap")]
[OutputType(typeof(DirtyBitmapInfo))]
public sealed class GetBlockDirtyBitmapCommand : EngineCommand
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string[]? NodeName { get; set; }

    [Parameter(Position = 1)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DirtyBitmapNameCompleter))]
    public string[]? Name { get; set; }

    protected override void Process()
    {
        var bitmaps = TargetEngine.GetDirtyBitmaps();
        if (NodeName is not null)
        {
            // A literal node name that does not exist is reported; one that exists but has no bitmaps is not.
            var nodes = SelectByName(TargetEngine.GetBlockNodes(), NodeName, n => n.NodeName, NotFoundErrors.BlockNode)
                .Select(n => n.NodeName)
                .ToHashSet(StringComparer.Ordinal);
            bitmaps = bitmaps.Where(b => nodes.Contains(b.NodeName)).ToArray();
        }

        foreach (var bitmap in SelectByName(bitmaps, Name, b => b.Name, NotFoundErrors.DirtyBitmap))
        {
            WriteObject(bitmap);
        }
    }
}
