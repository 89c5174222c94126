using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Configuration;

/// <summary>
/// Applies planned steps through any engine, in order, and stops at the first failure with a
/// <see cref="ConfigurationStepException"/>. A removed export is waited for (BLOCK_EXPORT_DELETED) before the step
/// counts as done, so the node, bitmaps and iothread it held can be removed next; exports already shutting down when a
/// step needs what they hold are waited for the same way. Cancelling stops between steps (or during a wait) with an
/// OperationCanceledException; the steps reported through onApplied are those done.
/// </summary>
public static class ConfigurationExecutor
{
    public static void Apply(
        IExportEngine engine, IReadOnlyList<ConfigurationStep> steps, ConfigurationOptions? options = null,
        Action<ConfigurationStep>? onApplied = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(steps);
        options ??= new ConfigurationOptions();
        var applied = new List<ConfigurationStep>();
        foreach (var step in steps)
        {
            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                Apply(engine, step, options, cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ConfigurationStepException(step, applied.Count + 1, steps.Count, applied.ToArray(), e);
            }

            applied.Add(step);
            onApplied?.Invoke(step);
        }
    }

    private static void Apply(IExportEngine engine, ConfigurationStep step, ConfigurationOptions options, CancellationToken cancellationToken)
    {
        switch (step.Kind)
        {
            case ConfigurationStepKind.RemoveExport:
                engine.RemoveBlockExport(step.Target, options.ExportRemoveMode);
                WaitDeleted(engine, step.Target, options, cancellationToken);
                break;
            case ConfigurationStepKind.StopNbdServer:
                engine.StopNbdServer(options.NbdServerStopGracePeriod);
                break;
            case ConfigurationStepKind.RemoveDirtyBitmap:
                var removedBitmap = (DirtyBitmapConfiguration)step.Item!;
                WaitForShuttingDown(engine, e => HoldsBitmap(e, removedBitmap), options, cancellationToken);
                engine.RemoveDirtyBitmap(removedBitmap.NodeName, removedBitmap.Name);
                break;
            case ConfigurationStepKind.RemoveBlockNode:
                WaitForShuttingDown(engine, e => e.NodeName == step.Target, options, cancellationToken);
                engine.RemoveBlockNode(step.Target);
                break;
            case ConfigurationStepKind.RemoveIoThread:
                WaitForShuttingDown(engine, e => e.IoThread == step.Target, options, cancellationToken);
                engine.RemoveIoThread(step.Target);
                break;
            case ConfigurationStepKind.AddIoThread:
                engine.AddIoThread(((IoThreadConfiguration)step.Item!).ToOptions());
                break;
            case ConfigurationStepKind.AddBlockNode:
                engine.AddBlockNode(((BlockNodeConfiguration)step.Item!).ToOptions());
                break;
            case ConfigurationStepKind.AddDirtyBitmap:
                engine.AddDirtyBitmap(((DirtyBitmapConfiguration)step.Item!).ToOptions());
                break;
            case ConfigurationStepKind.EnableDirtyBitmap or ConfigurationStepKind.DisableDirtyBitmap:
                var bitmap = (DirtyBitmapConfiguration)step.Item!;
                WaitForShuttingDown(engine, e => HoldsBitmap(e, bitmap), options, cancellationToken);
                if (step.Kind == ConfigurationStepKind.EnableDirtyBitmap)
                {
                    engine.EnableDirtyBitmap(bitmap.NodeName, bitmap.Name);
                }
                else
                {
                    engine.DisableDirtyBitmap(bitmap.NodeName, bitmap.Name);
                }

                break;
            case ConfigurationStepKind.StartNbdServer:
                engine.StartNbdServer(((NbdServerConfiguration)step.Item!).ToOptions());
                break;
            case ConfigurationStepKind.AddExport:
                WaitForShuttingDown(engine, e => e.Id == step.Target, options, cancellationToken);
                engine.AddBlockExport(((BlockExportConfiguration)step.Item!).ToOptions());
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(step), step.Kind, "Unknown step kind");
        }
    }

    private static bool HoldsBitmap(BlockExportInfo export, DirtyBitmapConfiguration bitmap) =>
        export.Details is NbdExportDetails nbd
        && nbd.Bitmaps.Any(b => b == bitmap.Key || (b == bitmap.Name && export.NodeName == bitmap.NodeName));

    private static void WaitForShuttingDown(IExportEngine engine, Func<BlockExportInfo, bool> holds, ConfigurationOptions options, CancellationToken cancellationToken)
    {
        foreach (var export in engine.GetBlockExports().Where(e => e.ShuttingDown && holds(e)))
        {
            WaitDeleted(engine, export.Id, options, cancellationToken);
        }
    }

    private static void WaitDeleted(IExportEngine engine, string id, ConfigurationOptions options, CancellationToken cancellationToken)
    {
        if (!engine.WaitForExportDeleted(id, options.ExportDeleteTimeout, cancellationToken))
        {
            throw new EngineException(ErrorIds.WaitTimedOut, EngineErrorCategory.Timeout,
                $"Export '{id}' was not deleted within {options.ExportDeleteTimeout.TotalSeconds:0.#} s: its clients are still connected") { Target = id };
        }
    }
}
