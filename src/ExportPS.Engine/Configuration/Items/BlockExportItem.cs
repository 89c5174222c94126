using ExportPS.Engine.Model;

namespace ExportPS.Engine.Configuration.Items;

/// <summary>
/// Block exports (block-export-add). An export depends on its node, its iothread, the bitmaps it publishes and, for
/// type nbd, the NBD server; any difference replaces it. Removal is in the configured mode and waits until the export
/// is deleted, so the next step can remove what it held.
/// </summary>
internal sealed class BlockExportItem : ConfigurationItemType<BlockExportConfiguration>
{
    public override ConfigurationItemKind Kind => ConfigurationItemKind.Export;

    public override string Noun => "export";

    public override string KeyProperty => "Id";

    protected override ConfigurationStepKind AddKind => ConfigurationStepKind.AddExport;

    protected override ConfigurationStepKind RemoveKind => ConfigurationStepKind.RemoveExport;

    public override IEnumerable<(object Item, string Path)> Listed(ExportConfiguration configuration) => Indexed(configuration.Exports, "Exports");

    /// <summary>Exports shutting down are left out: they are already on their way out.</summary>
    public override ExportConfiguration ReadInto(ExportConfiguration configuration, IExportEngine engine) => configuration with
    {
        Exports = engine.GetBlockExports().Where(e => !e.ShuttingDown).Select(Describe).ToArray(),
    };

    private static BlockExportConfiguration Describe(BlockExportInfo export)
    {
        var nbd = export.Details as NbdExportDetails;
        var vhost = export.Details as VhostUserBlkExportDetails;
        var fuse = export.Details as FuseExportDetails;
        return new BlockExportConfiguration
        {
            Id = export.Id,
            Type = export.Type,
            NodeName = export.NodeName,
            Writable = export.Writable,
            Writethrough = export.Writethrough,
            IoThread = export.IoThread,
            Name = nbd?.Name == export.NodeName ? null : nbd?.Name,
            Description = string.IsNullOrEmpty(nbd?.Description) ? null : nbd.Description,
            Bitmaps = nbd?.Bitmaps ?? [],
            AllocationDepth = nbd?.AllocationDepth ?? false,
            SocketPath = vhost?.Socket,
            NumQueues = vhost?.NumQueues ?? 1,
            LogicalBlockSize = vhost?.LogicalBlockSize ?? VhostUserBlkExportOptions.MinLogicalBlockSize,
            MountPoint = fuse?.MountPoint,
            Growable = fuse?.Growable ?? false,
            AllowOther = fuse?.AllowOther ?? FuseExportAllowOther.Auto,
        };
    }

    protected override string IdOf(BlockExportConfiguration item) => item.Id;

    protected override ConfigurationEnsure EnsureOf(BlockExportConfiguration item) => item.Ensure;

    protected override IEnumerable<(ItemKey Key, string Property)> Dependencies(BlockExportConfiguration item)
    {
        yield return (new(ConfigurationItemTypes.BlockNode, item.NodeName), "NodeName");
        if (item.IoThread is { } ioThread)
        {
            yield return (new(ConfigurationItemTypes.IoThread, ioThread), "IoThread");
        }

        if (item.Type == BlockExportType.Nbd)
        {
            yield return (new(ConfigurationItemTypes.NbdServer, NbdServerItem.Id), "Type");
        }

        foreach (string bitmap in item.Bitmaps)
        {
            yield return (new(ConfigurationItemTypes.DirtyBitmap, item.BitmapKey(bitmap)), "Bitmaps");
        }
    }

    protected override (string Property, string Message)? Conflict(BlockExportConfiguration item, Func<ItemKey, object?> target) =>
        item.Writable && target(new(ConfigurationItemTypes.BlockNode, item.NodeName)) is BlockNodeConfiguration { ReadOnly: true }
            ? ("Writable", $"block node '{item.NodeName}' is read-only")
            : null;

    protected override IReadOnlyList<PropertyDifference> Differences(BlockExportConfiguration desired, BlockExportConfiguration actual)
    {
        var differences = new PropertyDifferences()
            .Compare("Type", desired.Type, actual.Type)
            .Compare("NodeName", desired.NodeName, actual.NodeName)
            .Compare("Writable", desired.Writable, actual.Writable)
            .Compare("Writethrough", desired.Writethrough, actual.Writethrough)
            .Compare("IoThread", desired.IoThread, actual.IoThread);
        if (desired.Type == BlockExportType.Nbd || actual.Type == BlockExportType.Nbd)
        {
            differences
                .Compare("Name", desired.EffectiveName, actual.EffectiveName)

                // NBD sends no description and an empty one alike.
                .Compare("Description", desired.Description ?? string.Empty, actual.Description ?? string.Empty)
                .Compare("Bitmaps", BitmapsText(desired), BitmapsText(actual))
                .Compare("AllocationDepth", desired.AllocationDepth, actual.AllocationDepth);
        }

        if (desired.Type == BlockExportType.VhostUserBlk || actual.Type == BlockExportType.VhostUserBlk)
        {
            differences
                .Compare("SocketPath", desired.SocketPath, actual.SocketPath)
                .Compare("NumQueues", desired.NumQueues, actual.NumQueues)
                .Compare("LogicalBlockSize", desired.LogicalBlockSize, actual.LogicalBlockSize);
        }

        if (desired.Type == BlockExportType.Fuse || actual.Type == BlockExportType.Fuse)
        {
            differences
                .Compare("MountPoint", desired.MountPoint, actual.MountPoint)
                .Compare("Growable", desired.Growable, actual.Growable)
                .Compare("AllowOther", desired.AllowOther, actual.AllowOther);
        }

        return differences;
    }

    protected override string Summary(BlockExportConfiguration item) => new ItemSummary
        {
            $"{Qmp.QapiName.Of(item.Type)} of node '{item.NodeName}'",
            item.Writable ? "writable" : "read-only",
        }
        .AddIf(item.Writethrough, "writethrough")
        .AddIf(item.IoThread is not null, $"iothread '{item.IoThread}'")
        .AddIf(item.Name is not null, $"name '{item.Name}'")
        .AddIf(item.Bitmaps.Count > 0, $"bitmaps {string.Join(" ", item.Bitmaps)}")
        .AddIf(item.AllocationDepth, "allocation-depth")
        .AddIf(item.SocketPath is not null, $"socket '{item.SocketPath}'")
        .AddIf(item.Type == BlockExportType.VhostUserBlk && item.NumQueues != 1, $"{item.NumQueues} queues")
        .AddIf(item.Type == BlockExportType.VhostUserBlk && item.LogicalBlockSize != VhostUserBlkExportOptions.MinLogicalBlockSize,
            $"logical block size {item.LogicalBlockSize}")
        .AddIf(item.MountPoint is not null, $"mount point '{item.MountPoint}'")
        .AddIf(item.Growable, "growable")
        .AddIf(item.Type == BlockExportType.Fuse && item.AllowOther != FuseExportAllowOther.Auto, $"allow-other {Qmp.QapiName.Of(item.AllowOther)}")
        .ToString();

    protected override string RemoveDescription(ItemKey key, BlockExportConfiguration item, string reason, ConfigurationOptions options) =>
        $"Remove {key}{reason}, {options.ExportRemoveMode.ToString().ToLowerInvariant()} mode, and wait until it is deleted";

    /// <summary>An export of the same id still shutting down is waited for, so its id is free.</summary>
    protected override void Add(BlockExportConfiguration item, ConfigurationRun run)
    {
        run.WaitForShuttingDown(e => e.Id == item.Id);
        run.Engine.AddBlockExport(item.ToOptions());
    }

    protected override void Remove(BlockExportConfiguration item, ConfigurationRun run)
    {
        run.Engine.RemoveBlockExport(item.Id, run.Options.ExportRemoveMode);
        run.WaitDeleted(item.Id);
    }

    private static string BitmapsText(BlockExportConfiguration export) =>
        string.Join(" ", export.Bitmaps.Select(export.BitmapKey).Order(StringComparer.Ordinal));
}
