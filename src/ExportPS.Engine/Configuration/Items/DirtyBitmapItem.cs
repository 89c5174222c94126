using ExportPS.Engine.Model;

namespace ExportPS.Engine.Configuration.Items;

/// <summary>
/// Dirty bitmaps (block-dirty-bitmap-add), keyed "node/name". Enabled is the one property any item changes in place
/// (block-dirty-bitmap-enable / -disable); a granularity or persistence difference replaces the bitmap.
/// </summary>
internal sealed class DirtyBitmapItem : ConfigurationItemType<DirtyBitmapConfiguration>
{
    public override ConfigurationItemKind Kind => ConfigurationItemKind.DirtyBitmap;

    public override string Noun => "dirty bitmap";

    public override string KeyProperty => "Name";

    protected override ConfigurationStepKind AddKind => ConfigurationStepKind.AddDirtyBitmap;

    protected override ConfigurationStepKind RemoveKind => ConfigurationStepKind.RemoveDirtyBitmap;

    public override IEnumerable<(object Item, string Path)> Listed(ExportConfiguration configuration) => Indexed(configuration.DirtyBitmaps, "DirtyBitmaps");

    public override ExportConfiguration ReadInto(ExportConfiguration configuration, IExportEngine engine) => configuration with
    {
        DirtyBitmaps = engine.GetDirtyBitmaps().Select(b => new DirtyBitmapConfiguration
        {
            NodeName = b.NodeName,
            Name = b.Name,
            Granularity = b.Granularity,
            Persistent = b.Persistent,
            Enabled = b.Enabled,
        }).ToArray(),
    };

    protected override string IdOf(DirtyBitmapConfiguration item) => item.Key;

    protected override ConfigurationEnsure EnsureOf(DirtyBitmapConfiguration item) => item.Ensure;

    protected override IEnumerable<(ItemKey Key, string Property)> Dependencies(DirtyBitmapConfiguration item) =>
        [(new(ConfigurationItemTypes.BlockNode, item.NodeName), "NodeName")];

    protected override IReadOnlyList<PropertyDifference> Differences(DirtyBitmapConfiguration desired, DirtyBitmapConfiguration actual)
    {
        var differences = new PropertyDifferences()
            .Compare("Granularity", ItemSummary.Size(desired.Granularity), ItemSummary.Size(actual.Granularity))
            .Compare("Persistent", desired.Persistent, actual.Persistent);
        if (desired.Enabled != actual.Enabled)
        {
            differences.Add(new("Enabled", PropertyDifferences.Text(desired.Enabled), PropertyDifferences.Text(actual.Enabled), InPlace: true));
        }

        return differences;
    }

    protected override string Summary(DirtyBitmapConfiguration item) => new ItemSummary { $"granularity {ItemSummary.Size(item.Granularity)}" }
        .AddIf(item.Persistent, "persistent")
        .AddIf(!item.Enabled, "disabled")
        .ToString();

    protected override ConfigurationStep ChangeInPlaceStep(ItemKey key, DirtyBitmapConfiguration desired) => desired.Enabled
        ? Step(ConfigurationStepKind.EnableDirtyBitmap, key, $"Enable {key}", run => Enable(desired, run))
        : Step(ConfigurationStepKind.DisableDirtyBitmap, key, $"Disable {key}", run => Disable(desired, run));

    protected override void Add(DirtyBitmapConfiguration item, ConfigurationRun run) => run.Engine.AddDirtyBitmap(item.ToOptions());

    protected override void Remove(DirtyBitmapConfiguration item, ConfigurationRun run)
    {
        run.WaitForShuttingDown(e => Holds(e, item));
        run.Engine.RemoveDirtyBitmap(item.NodeName, item.Name);
    }

    private static void Enable(DirtyBitmapConfiguration item, ConfigurationRun run)
    {
        run.WaitForShuttingDown(e => Holds(e, item));
        run.Engine.EnableDirtyBitmap(item.NodeName, item.Name);
    }

    private static void Disable(DirtyBitmapConfiguration item, ConfigurationRun run)
    {
        run.WaitForShuttingDown(e => Holds(e, item));
        run.Engine.DisableDirtyBitmap(item.NodeName, item.Name);
    }

    /// <summary>Whether an export publishes the bitmap, named "node/name" or by name on its own node.</summary>
    private static bool Holds(BlockExportInfo export, DirtyBitmapConfiguration bitmap) =>
        export.Details is NbdExportDetails nbd
        && nbd.Bitmaps.Any(b => b == bitmap.Key || (b == bitmap.Name && export.NodeName == bitmap.NodeName));
}
