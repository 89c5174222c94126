using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>object-del of a capture (filter-dump object): the pcap file is closed and keeps what was written.</summary>
[Cmdlet(VerbsLifecycle.Stop, "NetCapture", SupportsShouldProcess = true, DefaultParameterSetName = IdSet)]
[OutputType(typeof(void))]
public sealed class StopNetCaptureCommand : EngineCommand
{
    private const string IdSet = "Id";
    private const string InputObjectSet = "InputObject";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = IdSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NetCaptureIdCompleter))]
    public string[] Id { get; set; } = [];

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [ValidateNotNull]
    public NetCaptureInfo[] InputObject { get; set; } = [];

    protected override void Process()
    {
        var ids = ParameterSetName == InputObjectSet
            ? InputObject.Select(c => c.Id)
            : ExpandNames(Id, () => TargetEngine.GetNetCaptures().Select(c => c.Id));
        foreach (var id in ids)
        {
            if (ShouldProcess(id, "Stop capture"))
                TryInvoke(id, () => TargetEngine.RemoveNetCapture(id));
        }
    }
}
