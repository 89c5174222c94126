using System.Management.Automation;
using ExportPS.Engine.Errors;

namespace ExportPS.Commands;

/// <summary>
/// Waits for BLOCK_EXPORT_DELETED: returns once no export with the id exists (at once when there is none), so a
/// script can reuse the id. Running out of time is an OperationTimeout error for that id.
/// </summary>
[Cmdlet(VerbsLifecycle.Wait, "BlockExport")]
[OutputType(typeof(void))]
public sealed class WaitBlockExportCommand : EngineCommand
{
    private static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(250);
    private readonly CancellationTokenSource _stopping = new();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ExportIdCompleter))]
    public string[] Id { get; set; } = [];

    /// <summary>The condition waited for; the only one so far, and named so others can be added.</summary>
    [Parameter(Mandatory = true)]
    public SwitchParameter Deleted { get; set; }

    /// <summary>Seconds to wait in total; -1 waits until the exports are gone or the user presses Ctrl+C.</summary>
    [Parameter]
    [ValidateRange(-1, int.MaxValue)]
    public int Timeout { get; set; } = -1;

    protected override void Process()
    {
        DateTime? deadline = Timeout < 0 ? null : DateTime.UtcNow + TimeSpan.FromSeconds(Timeout);
        var ids = ExpandNames(Id, () => TargetEngine.GetBlockExports().Select(e => e.Id)).ToArray();
        var progress = new ProgressRecord(2, "Wait-BlockExport", "Waiting for exports to be deleted");
        bool shown = false;
        try
        {
            foreach (var id in ids)
            {
                progress.StatusDescription = $"Waiting for export '{id}' to be deleted";
                if (!WaitDeleted(id, deadline, progress, ref shown))
                {
                    WriteEngineError(new EngineException(ErrorIds.WaitTimedOut, EngineErrorCategory.Timeout,
                        $"Export '{id}' was not deleted within {Timeout} seconds") { Target = id }, id);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Ctrl+C: PowerShell stops the pipeline; nothing more to report.
        }
        finally
        {
            if (shown)
            {
                progress.RecordType = ProgressRecordType.Completed;
                WriteProgress(progress);
            }
        }
    }

    /// <summary>Waits in short slices so progress is written from the pipeline thread; false when the deadline passed.</summary>
    private bool WaitDeleted(string id, DateTime? deadline, ProgressRecord progress, ref bool shown)
    {
        while (true)
        {
            var slice = Slice;
            if (deadline is { } end)
            {
                var left = end - DateTime.UtcNow;
                if (left < slice)
                {
                    return TargetEngine.WaitForExportDeleted(id, left > TimeSpan.Zero ? left : TimeSpan.Zero, _stopping.Token);
                }
            }

            if (TargetEngine.WaitForExportDeleted(id, slice, _stopping.Token))
            {
                return true;
            }

            WriteProgress(progress);
            shown = true;
        }
    }

    protected override void StopProcessing() => _stopping.Cancel();

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _stopping.Dispose();
    }
}
