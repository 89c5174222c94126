using System.Diagnostics;
using System.Management.Automation;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Qmp;

namespace ExportPS.Commands;

/// <summary>
/// Ends the engine behind a handle with QMP quit (an ExportPS host stops its NBD server gracefully first; QEMU simply
/// exits) and closes the handle. For a host this session started, waits for the process to exit and kills it by its
/// id when it has not exited within -Timeout.
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "ExportEngine", SupportsShouldProcess = true)]
[OutputType(typeof(void))]
public sealed class StopExportEngineCommand : PSCmdlet
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public ExportEngineHandle[] Engine { get; set; } = [];

    /// <summary>Seconds the engine gets to exit after quit before its process is killed.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int Timeout { get; set; } = 15;

    protected override void ProcessRecord()
    {
        foreach (var handle in Engine)
        {
            if (ShouldProcess(handle.ToString(), "Stop the engine (QMP quit)"))
            {
                Stop(handle);
            }
        }
    }

    private void Stop(ExportEngineHandle handle)
    {
        handle.Disconnect();
        try
        {
            // A connection of its own: the handle's may already be closed, and quit ends every connection anyway.
            using var client = QmpClient.Connect(handle.Path, TimeSpan.FromSeconds(Timeout));
            client.Execute("quit");
        }
        catch (EngineException e) when (handle.Process is not null || e.ErrorId == ErrorIds.QmpConnectionFailed)
        {
            // The server may close before its reply reaches us; for a started host the process says whether it ended.
            WriteVerbose($"quit: {e.Message}");
        }
        catch (EngineException e)
        {
            WriteError(EngineCommand.ToErrorRecord(this, e, handle));
            return;
        }

        if (handle.Process is { } process)
        {
            WaitOrKill(handle, process);
        }
    }

    private void WaitOrKill(ExportEngineHandle handle, Process process)
    {
        var progress = new ProgressRecord(4, "Stop-ExportEngine", $"Waiting for process {process.Id} to exit");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(Timeout);
        bool shown = false;
        while (!process.WaitForExit((int)PollInterval.TotalMilliseconds))
        {
            if (DateTime.UtcNow >= deadline)
            {
                WriteWarning($"The host process {process.Id} did not exit within {Timeout} s of quit: killing it");
                HostLauncher.Kill(process);
                break;
            }

            progress.SecondsRemaining = (int)Math.Max(0, (deadline - DateTime.UtcNow).TotalSeconds);
            WriteProgress(progress);
            shown = true;
        }

        if (shown)
        {
            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
        }

        WriteVerbose($"The {handle} has stopped");
    }
}
