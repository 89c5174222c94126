using System.Management.Automation;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>query-named-block-nodes.</summary>
[Cmdlet(VerbsCommon.Get, "BlockNode")]
[OutputType(typeof(BlockNodeInfo))]
public sealed class GetBlockNodeCommand : EngineCommand
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string[]? NodeName { get; set; }

    protected override void Process()
    {
        foreach (var node in SelectByName(TargetEngine.GetBlockNodes(), NodeName, n => n.NodeName, NotFoundErrors.BlockNode))
        {
            WriteObject(node);
        }
    }
}
