using System.Management.Automation;
using ExportPS.Engine.Errors;

namespace ExportPS.Commands;

/// <summary>nbd-server-stop: closes the NBD exports gracefully, waits a few seconds for their clients, then drops them.</summary>
[Cmdlet(VerbsLifecycle.Stop, "NbdServer", SupportsShouldProcess = true)]
[OutputType(typeof(void))]
public sealed class StopNbdServerCommand : EngineCommand
{
    private static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Drop connected clients at once instead of giving them the grace period.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void Process()
    {
        if (!ShouldProcess("NBD server", "Stop"))
        {
            return;
        }

        var grace = Force ? TimeSpan.Zero : GracePeriod;
        var engine = TargetEngine;
        var stop = Task.Run(() => engine.StopNbdServer(grace));

        // The engine blocks while clients finish; progress is written from the pipeline thread, as PowerShell requires.
        var progress = new ProgressRecord(1, "Stop-NbdServer", "Waiting for NBD clients to disconnect");
        var started = DateTime.UtcNow;
        bool shown = false;
        // WaitAny only waits: Task.Wait would rethrow the engine's refusal wrapped in an AggregateException.
        while (Task.WaitAny([stop], ProgressInterval) < 0)
        {
            var waited = DateTime.UtcNow - started;
            progress.PercentComplete = (int)Math.Min(99, 100 * waited.Ticks / Math.Max(1, grace.Ticks));
            progress.SecondsRemaining = (int)Math.Max(0, (grace - waited).TotalSeconds);
            WriteProgress(progress);
            shown = true;
        }

        if (shown)
        {
            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
        }

        try
        {
            stop.GetAwaiter().GetResult();
        }
        catch (EngineException e)
        {
            WriteEngineError(e, "NBD server");
        }
    }
}
