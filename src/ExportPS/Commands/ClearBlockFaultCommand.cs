using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>x-block-fault-clear: disarms the rule of one operation on an x-fault-inject node, or all of its rules.</summary>
[Cmdlet(VerbsCommon.Clear, "BlockFault", SupportsShouldProcess = true)]
[OutputType(typeof(void))]
public sealed class ClearBlockFaultCommand : EngineCommand
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string NodeName { get; set; } = null!;

    /// <summary>Not given: every rule of the node.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    public BlockFaultOperation Operation { get; set; }

    protected override void Process()
    {
        BlockFaultOperation? operation = MyInvocation.BoundParameters.ContainsKey(nameof(Operation)) ? Operation : null;
        string action = operation is { } one ? $"Clear the {one} fault" : "Clear every fault";
        if (ShouldProcess(NodeName, action))
        {
            TryInvoke(NodeName, () => TargetEngine.ClearBlockFault(NodeName, operation));
        }
    }
}
