using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Configuration.Items;

/// <summary>
/// What a step is applied with: the engine, the options, and the waits for exports on their way out (a removed export
/// holds its node, bitmaps and iothread until BLOCK_EXPORT_DELETED).
/// </summary>
internal sealed class ConfigurationRun(IExportEngine engine, ConfigurationOptions options, CancellationToken cancellationToken)
{
    public IExportEngine Engine { get; } = engine;

    public ConfigurationOptions Options { get; } = options;

    /// <summary>Waits until the exports already shutting down that hold what a step needs are deleted.</summary>
    public void WaitForShuttingDown(Func<BlockExportInfo, bool> holds)
    {
        foreach (var export in Engine.GetBlockExports().Where(e => e.ShuttingDown && holds(e)))
        {
            WaitDeleted(export.Id);
        }
    }

    public void WaitDeleted(string id)
    {
        if (!Engine.WaitForExportDeleted(id, Options.ExportDeleteTimeout, cancellationToken))
        {
            throw new EngineException(ErrorIds.WaitTimedOut, EngineErrorCategory.Timeout,
                $"Export '{id}' was not deleted within {Options.ExportDeleteTimeout.TotalSeconds:0.#} s: its clients are still connected") { Target = id };
        }
    }
}
