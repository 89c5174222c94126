using System.Management.Automation;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Net;

namespace ExportPS.Commands;

/// <summary>
/// object-add qom-type=filter-dump: the netdev's frames go to a pcap file (created or truncated) until Stop-NetCapture
/// or until the netdev is removed. Without -Id the capture is named after its netdev ("n0.dump", then "n0.dump1", ...).
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "NetCapture", SupportsShouldProcess = true)]
[OutputType(typeof(NetCaptureInfo))]
public sealed class StartNetCaptureCommand : EngineCommand
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NetdevIdCompleter))]
    public string Netdev { get; set; } = string.Empty;

    /// <summary>The pcap file, on the engine's machine (relative paths resolve against the current location).</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>maxlen: the bytes kept of each frame.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MaxLength { get; set; } = PcapWriter.DefaultMaxLength;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Id { get; set; }

    /// <summary>queue: both directions (All), the frames delivered to the netdev (Rx) or those it sends (Tx).</summary>
    [Parameter]
    public NetCaptureDirection Queue { get; set; } = NetCaptureDirection.All;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void Process()
    {
        string path = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
        string id = Id ?? FreeId();
        var options = new NetCaptureOptions { Id = id, Netdev = Netdev, Path = path, MaxLength = MaxLength, Queue = Queue };
        InvokeWithPassThru(Netdev, $"Start capture '{id}' to '{path}'", () => TargetEngine.AddNetCapture(options), PassThru);
    }

    /// <summary>The first of "netdev.dump", "netdev.dump1", ... no capture has (QEMU cannot list them: the first).</summary>
    private string FreeId()
    {
        HashSet<string> taken;
        try
        {
            taken = TargetEngine.GetNetCaptures().Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        }
        catch (EngineException e) when (e.ErrorId == ErrorIds.QmpCommandNotFound)
        {
            taken = [];
        }

        string id = Netdev + ".dump";
        for (int n = 1; taken.Contains(id); n++)
            id = $"{Netdev}.dump{n}";
        return id;
    }
}
