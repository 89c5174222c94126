using ExportPS.Engine.Configuration.Items;

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
        var run = new ConfigurationRun(engine, options, cancellationToken);
        var applied = new List<ConfigurationStep>();
        foreach (var step in steps)
        {
            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                step.Apply(run);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ConfigurationStepException(step, applied.Count + 1, steps.Count, applied.ToArray(), e);
            }

            applied.Add(step);
            onApplied?.Invoke(step);
        }
    }
}
