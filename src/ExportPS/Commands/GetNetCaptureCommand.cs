using System.Management.Automation;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>x-query-net-captures: the captures (filter-dump objects) with their netdev, file and frames written.</summary>
[Cmdlet(VerbsCommon.Get, "NetCapture")]
[OutputType(typeof(NetCaptureInfo))]
public sealed class GetNetCaptureCommand : EngineCommand
{
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NetCaptureIdCompleter))]
    public string[]? Id { get; set; }

    /// <summary>Only the captures of these netdevs (wildcards allowed).</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NetdevIdCompleter))]
    public string[]? Netdev { get; set; }

    protected override void Process()
    {
        var captures = TargetEngine.GetNetCaptures()
            .Where(c => Netdev is null || Netdev.Any(pattern => NameSelector.Matches(pattern, c.Netdev)));
        foreach (var capture in SelectByName(captures, Id, c => c.Id, NotFoundErrors.NetCapture))
            WriteObject(capture);
    }
}
