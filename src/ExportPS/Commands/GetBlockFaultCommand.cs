using System.Management.Automation;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>x-query-block-faults: the armed rules of x-fault-inject nodes, with their hits so far.</summary>
[Cmdlet(VerbsCommon.Get, "BlockFault")]
[OutputType(typeof(BlockFaultInfo))]
public sealed class GetBlockFaultCommand : EngineCommand
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string[]? NodeName { get; set; }

    protected override void Process()
    {
        var faults = TargetEngine.GetBlockFaults();
        if (NodeName is not null)
        {
            // A literal node name that does not exist is reported; one without rules is not.
            var nodes = SelectByName(TargetEngine.GetBlockNodes(), NodeName, n => n.NodeName, NotFoundErrors.BlockNode)
                .Select(n => n.NodeName)
                .ToHashSet(StringComparer.Ordinal);
            faults = faults.Where(f => nodes.Contains(f.NodeName)).ToArray();
        }

        WriteObject(faults, enumerateCollection: true);
    }
}
