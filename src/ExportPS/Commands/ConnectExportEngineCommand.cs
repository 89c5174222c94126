using System.Management.Automation;
using ExportPS.Engine.Errors;

namespace ExportPS.Commands;

/// <summary>
/// Connects to an engine's QMP monitor socket: an ExportPS host, a qemu-storage-daemon or a QEMU. The handle goes to
/// -Engine of the other cmdlets.
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "ExportEngine")]
[OutputType(typeof(ExportEngineHandle))]
public sealed class ConnectExportEngineCommand : PSCmdlet
{
    /// <summary>The QMP socket (a unix socket path).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = null!;

    /// <summary>Seconds to wait for the greeting and for each command's reply.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int Timeout { get; set; } = 30;

    protected override void ProcessRecord()
    {
        string path = GetUnresolvedProviderPathFromPSPath(Path);
        try
        {
            WriteObject(ExportEngineHandle.Connect(path, TimeSpan.FromSeconds(Timeout), ExportEngineKind.Remote, process: null, logPath: null));
        }
        catch (EngineException e)
        {
            WriteError(EngineCommand.ToErrorRecord(this, e, path));
        }
    }
}
