using ExportPS.Engine.Model;

namespace ExportPS.Engine.Configuration.Items;

/// <summary>Iothreads (object-add qom-type=iothread). Only the poll settings a configuration gives are compared.</summary>
internal sealed class IoThreadItem : ConfigurationItemType<IoThreadConfiguration>
{
    public override ConfigurationItemKind Kind => ConfigurationItemKind.IoThread;

    public override string Noun => "iothread";

    public override string KeyProperty => "Id";

    protected override ConfigurationStepKind AddKind => ConfigurationStepKind.AddIoThread;

    protected override ConfigurationStepKind RemoveKind => ConfigurationStepKind.RemoveIoThread;

    public override IEnumerable<(object Item, string Path)> Listed(ExportConfiguration configuration) => Indexed(configuration.IoThreads, "IoThreads");

    public override ExportConfiguration ReadInto(ExportConfiguration configuration, IExportEngine engine) => configuration with
    {
        IoThreads = engine.GetIoThreads().Select(t => new IoThreadConfiguration
        {
            Id = t.Id,
            PollMaxNs = t.PollMaxNs,
            PollGrow = t.PollGrow,
            PollShrink = t.PollShrink,
        }).ToArray(),
    };

    protected override string IdOf(IoThreadConfiguration item) => item.Id;

    protected override ConfigurationEnsure EnsureOf(IoThreadConfiguration item) => item.Ensure;

    /// <summary>A poll setting left out is whatever the engine chose.</summary>
    protected override IReadOnlyList<PropertyDifference> Differences(IoThreadConfiguration desired, IoThreadConfiguration actual)
    {
        var differences = new PropertyDifferences();
        foreach (var (property, wanted, had) in (ReadOnlySpan<(string, long?, long?)>)
            [("PollMaxNs", desired.PollMaxNs, actual.PollMaxNs), ("PollGrow", desired.PollGrow, actual.PollGrow), ("PollShrink", desired.PollShrink, actual.PollShrink)])
        {
            if (wanted is not null)
            {
                differences.Compare(property, wanted, had);
            }
        }

        return differences;
    }

    protected override string Summary(IoThreadConfiguration item) => new ItemSummary()
        .AddIf(item.PollMaxNs is not null, $"poll-max-ns {item.PollMaxNs}")
        .AddIf(item.PollGrow is not null, $"poll-grow {item.PollGrow}")
        .AddIf(item.PollShrink is not null, $"poll-shrink {item.PollShrink}")
        .ToString();

    protected override string AddDescription(ItemKey key, IoThreadConfiguration item) => $"Add {key}";

    protected override void Add(IoThreadConfiguration item, ConfigurationRun run) => run.Engine.AddIoThread(item.ToOptions());

    protected override void Remove(IoThreadConfiguration item, ConfigurationRun run)
    {
        run.WaitForShuttingDown(e => e.IoThread == item.Id);
        run.Engine.RemoveIoThread(item.Id);
    }
}
