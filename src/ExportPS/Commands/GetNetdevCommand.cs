using System.Management.Automation;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>x-query-netdevs: netdevs with their hub, peer, link state and counters.</summary>
[Cmdlet(VerbsCommon.Get, "Netdev")]
[OutputType(typeof(NetdevInfo))]
public sealed class GetNetdevCommand : EngineCommand
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NetdevIdCompleter))]
    public string[]? Id { get; set; }

    protected override void Process()
    {
        foreach (var netdev in SelectByName(TargetEngine.GetNetdevs(), Id, n => n.Id, NotFoundErrors.Netdev))
            WriteObject(netdev);
    }
}
