using ExportPS.Engine.Model;

namespace ExportPS.Engine.Configuration.Items;

/// <summary>
/// Netdevs (netdev_add) of every type, hub ports included. A hub port depends on the netdev its netdev= names. Any
/// option difference replaces the netdev (and so the hub port peered with it); the link state changes in place (set_link).
/// </summary>
internal sealed class NetdevItem : ConfigurationItemType<NetdevConfiguration>
{
    public override ConfigurationItemKind Kind => ConfigurationItemKind.Netdev;

    public override string Noun => "netdev";

    public override string KeyProperty => "Id";

    protected override ConfigurationStepKind AddKind => ConfigurationStepKind.AddNetdev;

    protected override ConfigurationStepKind RemoveKind => ConfigurationStepKind.RemoveNetdev;

    public override IEnumerable<(object Item, string Path)> Listed(ExportConfiguration configuration) => Indexed(configuration.Netdevs, "Netdevs");

    public override ExportConfiguration ReadInto(ExportConfiguration configuration, IExportEngine engine) => configuration with
    {
        Netdevs = engine.GetNetdevs().Select(n => new NetdevConfiguration
        {
            Id = n.Id,
            Options = NetdevOptionsTable.FromArguments(n.Arguments),
            LinkUp = n.LinkUp,
        }).ToArray(),
    };

    protected override string IdOf(NetdevConfiguration item) => item.Id;

    protected override ConfigurationEnsure EnsureOf(NetdevConfiguration item) => item.Ensure;

    protected override IEnumerable<(ItemKey Key, string Property)> Dependencies(NetdevConfiguration item) =>
        item.Options is HubportNetdevOptions { Netdev: { } peer } ? [(new(ConfigurationItemTypes.Netdev, peer), "Netdev")] : [];

    /// <summary>The engine refuses a hub port peered with another hub port.</summary>
    protected override (string Property, string Message)? Conflict(NetdevConfiguration item, Func<ItemKey, object?> target) =>
        item.Options is HubportNetdevOptions { Netdev: { } peer }
        && target(new(ConfigurationItemTypes.Netdev, peer)) is NetdevConfiguration { Options: HubportNetdevOptions }
            ? ("Netdev", $"netdev '{peer}' is a hub port: a hub port cannot be peered with another")
            : null;

    /// <summary>Every member netdev_add would be given, by its QEMU name ("addr.path"), then the link state.</summary>
    protected override IReadOnlyList<PropertyDifference> Differences(NetdevConfiguration desired, NetdevConfiguration actual)
    {
        var differences = new PropertyDifferences();
        var wanted = NetdevOptionsTable.Leaves(desired.Options!);
        var had = NetdevOptionsTable.Leaves(actual.Options!);
        foreach (string member in wanted.Keys.Union(had.Keys))
        {
            differences.Compare(member, wanted.GetValueOrDefault(member), had.GetValueOrDefault(member));
        }

        if (desired.LinkUp != actual.LinkUp)
        {
            differences.Add(new("LinkUp", PropertyDifferences.Text(desired.LinkUp), PropertyDifferences.Text(actual.LinkUp), InPlace: true));
        }

        return differences;
    }

    protected override string Summary(NetdevConfiguration item) => new ItemSummary { item.Options!.Type }
        .AddIf(item.Options.Summary().Length > 0, item.Options.Summary())
        .AddIf(!item.LinkUp, "link down")
        .ToString();

    protected override ConfigurationStep ChangeInPlaceStep(ItemKey key, NetdevConfiguration desired) =>
        Step(ConfigurationStepKind.SetNetLink, key, $"Set the link of {key} {(desired.LinkUp ? "up" : "down")}",
            run => run.Engine.SetLink(desired.Id, desired.LinkUp));

    /// <summary>netdev_add, then set_link when the link is to be down (a new netdev's link is up).</summary>
    protected override void Add(NetdevConfiguration item, ConfigurationRun run)
    {
        run.Engine.AddNetdev(item.Options!);
        if (!item.LinkUp)
        {
            run.Engine.SetLink(item.Id, false);
        }
    }

    protected override void Remove(NetdevConfiguration item, ConfigurationRun run) => run.Engine.RemoveNetdev(item.Id);
}
