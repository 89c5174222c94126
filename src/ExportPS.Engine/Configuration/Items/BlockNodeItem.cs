using ExportPS.Engine.Model;
using ExportPS.Engine.Qmp;

namespace ExportPS.Engine.Configuration.Items;

/// <summary>
/// Block nodes (blockdev-add). A node depends on its backing node and, for driver raw, on its file child; it is replaced
/// by any difference.
/// </summary>
internal sealed class BlockNodeItem : ConfigurationItemType<BlockNodeConfiguration>
{
    public override ConfigurationItemKind Kind => ConfigurationItemKind.BlockNode;

    public override string Noun => "block node";

    public override string KeyProperty => "NodeName";

    protected override ConfigurationStepKind AddKind => ConfigurationStepKind.AddBlockNode;

    protected override ConfigurationStepKind RemoveKind => ConfigurationStepKind.RemoveBlockNode;

    public override IEnumerable<(object Item, string Path)> Listed(ExportConfiguration configuration) => Indexed(configuration.BlockNodes, "BlockNodes");

    /// <summary>Each node with the properties of its driver only (a null node's compression is not a setting).</summary>
    public override ExportConfiguration ReadInto(ExportConfiguration configuration, IExportEngine engine) => configuration with
    {
        BlockNodes = engine.GetBlockNodes().Select(node => new BlockNodeConfiguration
        {
            NodeName = node.NodeName,
            Driver = node.Driver,
            Path = node.Driver == BlockDriverKind.File ? node.Path : null,
            File = node.Driver is BlockDriverKind.Raw or BlockDriverKind.FaultInject ? node.File : null,
            Size = node.Driver is BlockDriverKind.Memory or BlockDriverKind.Null ? node.Size : null,
            ReadOnly = node.ReadOnly,
            Backing = node.Backing,
            Compression = node.Driver == BlockDriverKind.Memory ? node.Compression : BlockCompression.None,
            CacheDirect = node.Driver == BlockDriverKind.File && node.CacheDirect,
            ReadZeroes = node.Driver != BlockDriverKind.Null || node.ReadZeroes,
            Discard = node.Discard,
            DetectZeroes = node.DetectZeroes,
            NoFlush = node.NoFlush,
            ForceShare = node.ForceShare,
            Server = node.Server is { } server ? SocketAddressText.Parse(server) : null,
            Export = node.Export,
            TlsCreds = node.TlsCreds,
            TlsHostname = node.TlsHostname,
            ReconnectDelay = node.ReconnectDelay,
            OpenTimeout = node.OpenTimeout,
            XDirtyBitmap = node.XDirtyBitmap,
            XMultiConn = node.XMultiConn,
        }).ToArray(),
    };

    protected override string IdOf(BlockNodeConfiguration item) => item.NodeName;

    protected override ConfigurationEnsure EnsureOf(BlockNodeConfiguration item) => item.Ensure;

    protected override IEnumerable<(ItemKey Key, string Property)> Dependencies(BlockNodeConfiguration item)
    {
        if (item.Backing is { } backing)
        {
            yield return (new(ConfigurationItemTypes.BlockNode, backing), "Backing");
        }

        if (item.File is { } file)
        {
            yield return (new(ConfigurationItemTypes.BlockNode, file), "File");
        }
    }

    /// <summary>The engine refuses a writable raw node over a read-only child.</summary>
    protected override (string Property, string Message)? Conflict(BlockNodeConfiguration item, Func<ItemKey, object?> target) =>
        item is { ReadOnly: false, File: { } file } && target(new(ConfigurationItemTypes.BlockNode, file)) is BlockNodeConfiguration { ReadOnly: true }
            ? ("ReadOnly", $"block node '{file}' is read-only: a writable raw node cannot use it")
            : null;

    protected override IReadOnlyList<PropertyDifference> Differences(BlockNodeConfiguration desired, BlockNodeConfiguration actual) => new PropertyDifferences()
        .Compare("Driver", DriverText(desired.Driver), DriverText(actual.Driver))
        .Compare("Path", desired.Path, actual.Path)
        .Compare("File", desired.File, actual.File)
        .Compare("Size", ItemSummary.Size(desired.Size), ItemSummary.Size(actual.Size))
        .Compare("ReadOnly", desired.ReadOnly, actual.ReadOnly)
        .Compare("Backing", desired.Backing, actual.Backing)
        .Compare("Compression", desired.Compression, actual.Compression)
        .Compare("CacheDirect", desired.CacheDirect, actual.CacheDirect)
        .Compare("ReadZeroes", desired.ReadZeroes, actual.ReadZeroes)
        .Compare("Discard", desired.Discard, actual.Discard)
        .Compare("DetectZeroes", desired.DetectZeroes, actual.DetectZeroes)
        .Compare("NoFlush", desired.NoFlush, actual.NoFlush)
        .Compare("ForceShare", desired.ForceShare, actual.ForceShare)
        .Compare("Server", desired.Server?.ToString(), actual.Server?.ToString())
        .Compare("Export", desired.Export ?? string.Empty, actual.Export ?? string.Empty)
        .Compare("TlsCreds", desired.TlsCreds, actual.TlsCreds)
        .Compare("TlsHostname", desired.TlsHostname, actual.TlsHostname)
        .Compare("ReconnectDelay", desired.ReconnectDelay, actual.ReconnectDelay)
        .Compare("OpenTimeout", desired.OpenTimeout, actual.OpenTimeout)
        .Compare("XDirtyBitmap", desired.XDirtyBitmap, actual.XDirtyBitmap)
        .Compare("XMultiConn", desired.XMultiConn, actual.XMultiConn);

    protected override string Summary(BlockNodeConfiguration item) => new ItemSummary
        {
            DriverText(item.Driver),
            item.Path is not null ? $"'{item.Path}'" : item.File is not null ? $"file '{item.File}'"
                : item.Server is not null ? $"server {item.Server} export '{item.Export}'" : ItemSummary.Size(item.Size) ?? "no size",
        }
        .AddIf(item.ReadOnly, "read-only")
        .AddIf(item.Backing is not null, $"backing '{item.Backing}'")
        .AddIf(item.Compression != BlockCompression.None, $"compression {item.Compression.ToString().ToLowerInvariant()}")
        .AddIf(item.CacheDirect, "cache.direct")
        .AddIf(item.NoFlush, "cache.no-flush")
        .AddIf(!item.ReadZeroes, "read-zeroes off")
        .AddIf(item.Discard != BlockDiscardMode.Ignore, $"discard {QapiName.Of(item.Discard)}")
        .AddIf(item.DetectZeroes != BlockDetectZeroes.Off, $"detect-zeroes {QapiName.Of(item.DetectZeroes)}")
        .AddIf(item.ForceShare, "force-share")
        .ToString();

    protected override void Add(BlockNodeConfiguration item, ConfigurationRun run) => run.Engine.AddBlockNode(item.ToOptions());

    protected override void Remove(BlockNodeConfiguration item, ConfigurationRun run)
    {
        run.WaitForShuttingDown(e => e.NodeName == item.NodeName);
        run.Engine.RemoveBlockNode(item.NodeName);
    }

    private static string DriverText(BlockDriverKind driver) => driver.ToString().ToLowerInvariant();
}
