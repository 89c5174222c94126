using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>netdev_del: safe while frames flow; a hub forgets the port.</summary>
[Cmdlet(VerbsCommon.Remove, "Netdev", SupportsShouldProcess = true, DefaultParameterSetName = IdSet)]
[OutputType(typeof(void))]
public sealed class RemoveNetdevCommand : EngineCommand
{
    private const string IdSet = "Id";
    private const string InputObjectSet = "InputObject";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = IdSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NetdevIdCompleter))]
    public string[] Id { get; set; } = [];

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [ValidateNotNull]
    public NetdevInfo[] InputObject { get; set; } = [];

    protected override void Process()
    {
        var ids = ParameterSetName == InputObjectSet
            ? InputObject.Select(n => n.Id)
            : ExpandNames(Id, () => TargetEngine.GetNetdevs().Select(n => n.Id));
        foreach (var id in ids)
        {
            if (ShouldProcess(id, "Remove netdev"))
                TryInvoke(id, () => TargetEngine.RemoveNetdev(id));
        }
    }
}
