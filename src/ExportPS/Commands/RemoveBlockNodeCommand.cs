using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>blockdev-del. The engine refuses nodes that are exported or used as a backing node.</summary>
[Cmdlet(VerbsCommon.Remove, "BlockNode", SupportsShouldProcess = true, DefaultParameterSetName = NameSet)]
[OutputType(typeof(void))]
public sealed class RemoveBlockNodeCommand : EngineCommand
{
    private const string NameSet = "NodeName";
    private const string InputObjectSet = "InputObject";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = NameSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string[] NodeName { get; set; } = [];

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [ValidateNotNull]
    public BlockNodeInfo[] InputObject { get; set; } = [];

    protected override void Process()
    {
        var names = ParameterSetName == InputObjectSet
            ? InputObject.Select(n => n.NodeName)
            : ExpandNames(NodeName, () => TargetEngine.GetBlockNodes().Select(n => n.NodeName));
        foreach (var name in names)
        {
            if (ShouldProcess(name, "Remove block node"))
            {
                TryInvoke(name, () => TargetEngine.RemoveBlockNode(name));
            }
        }
    }
}
