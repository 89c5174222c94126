using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>
/// set_link: a down link drops (and counts) frames in both directions, up resumes at once. The name is a netdev id, a
/// hub port's own id included; netdevs from Get-Netdev bind by their Id.
/// </summary>
[Cmdlet(VerbsCommon.Set, "NetLink", SupportsShouldProcess = true)]
[OutputType(typeof(NetdevInfo))]
public sealed class SetNetLinkCommand : EngineCommand
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Id")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NetdevIdCompleter))]
    public string[] Name { get; set; } = [];

    [Parameter(Mandatory = true, Position = 1)]
    public bool Up { get; set; }

    /// <summary>Writes the netdev as it is after the change (it needs x-query-netdevs, which QEMU lacks).</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void Process()
    {
        foreach (var name in ExpandNames(Name, () => TargetEngine.GetNetdevs().Select(n => n.Id)))
        {
            if (!ShouldProcess(name, Up ? "Set link up" : "Set link down") || !TryInvoke(name, () => TargetEngine.SetLink(name, Up)) || !PassThru)
                continue;
            TryInvoke(name, () => WriteObject(TargetEngine.GetNetdevs().Where(n => n.Id == name), enumerateCollection: true));
        }
    }
}
