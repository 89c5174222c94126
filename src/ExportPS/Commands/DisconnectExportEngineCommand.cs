using System.Management.Automation;

namespace ExportPS.Commands;

/// <summary>Closes a handle's QMP connection; the engine behind it keeps running (Stop-ExportEngine ends it).</summary>
[Cmdlet(VerbsCommunications.Disconnect, "ExportEngine")]
[OutputType(typeof(void))]
public sealed class DisconnectExportEngineCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public ExportEngineHandle[] Engine { get; set; } = [];

    protected override void ProcessRecord()
    {
        foreach (var handle in Engine)
        {
            WriteVerbose($"Disconnecting from the {handle}");
            handle.Disconnect();
        }
    }
}
