using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>
/// announce-self: RARP frames for the given MAC addresses out of the given netdevs, in rounds timed as QEMU's
/// announce timer. Issuing it again with the same -Id replaces a running announcement.
/// </summary>
[Cmdlet(VerbsCommunications.Send, "NetAnnounce", SupportsShouldProcess = true)]
[OutputType(typeof(void))]
public sealed class SendNetAnnounceCommand : EngineCommand
{
    /// <summary>The netdevs to announce out of (a hub port's frames leave by the whole hub); every netdev when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Id")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NetdevIdCompleter))]
    public string[] Netdev { get; set; } = [];

    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string[] MacAddress { get; set; } = [];

    /// <summary>Milliseconds before the second round (the first goes out at once).</summary>
    [Parameter]
    [ValidateRange(0L, long.MaxValue)]
    public long Initial { get; set; } = 50;

    [Parameter]
    [ValidateRange(0L, long.MaxValue)]
    public long Max { get; set; } = 550;

    [Parameter]
    [ValidateRange(0L, long.MaxValue)]
    public long Rounds { get; set; } = 5;

    [Parameter]
    [ValidateRange(0L, long.MaxValue)]
    public long Step { get; set; } = 100;

    /// <summary>The announcement's name; a new one with the name of a running one replaces it.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? AnnounceId { get; set; }

    private readonly List<string> _netdevs = [];

    protected override void Process() => _netdevs.AddRange(Netdev);

    protected override void End()
    {
        var options = new NetAnnounceOptions
        {
            Interfaces = _netdevs,
            MacAddresses = MacAddress,
            Initial = Initial,
            Max = Max,
            Rounds = Rounds,
            Step = Step,
            Id = AnnounceId,
        };
        string target = _netdevs.Count == 0 ? "every netdev" : string.Join(", ", _netdevs);
        if (ShouldProcess(target, $"Announce {string.Join(", ", MacAddress)}"))
            TryInvoke(target, () => TargetEngine.Announce(options));
    }
}
