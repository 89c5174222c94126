using ExportPS.Engine.Configuration;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qmp;
using Xunit;

namespace ExportPS.Engine.Tests.Configuration;

/// <summary>
/// The property Get-ExportConfiguration | Test-ExportConfiguration must have: whatever state the engine was brought to
/// through its own calls, the configuration read from it describes it exactly (no drift, no steps). Checked for every
/// block driver the engine names and every export type, each in its plain and its non-default forms, read in process and
/// through QMP.
/// </summary>
public sealed class ConfigurationRoundTripTests : IDisposable
{
    private const long Size = 1 << 20;
    private readonly string _directory = Directory.CreateTempSubdirectory("exportps-roundtrip-").FullName;
    private NbdTestServer? _remote;

    public static TheoryData<BlockDriverKind, BlockExportType, bool> Cases()
    {
        var cases = new TheoryData<BlockDriverKind, BlockExportType, bool>();
        foreach (var driver in BlockDriverNames.All.Select(n => n.Value).Distinct())
        {
            foreach (var type in Enum.GetValues<BlockExportType>())
            {
                cases.Add(driver, type, false);
                cases.Add(driver, type, true);
            }
        }

        return cases;
    }

    [Fact]
    public void EveryDriverHasAName()
    {
        Assert.Equal(Enum.GetValues<BlockDriverKind>(), BlockDriverNames.All.Select(n => n.Value).Distinct().Order());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheConfigurationReadFromAnEngineIsItsDesiredState(BlockDriverKind driver, BlockExportType type, bool nonDefault)
    {
        using var engine = new ExportEngine();
        engine.AddIoThread(new IoThreadOptions { Id = "io0", PollMaxNs = nonDefault ? 0 : null });
        var node = engine.AddBlockNode(WithCommonOptions(NodeOptions(engine, driver, nonDefault), nonDefault));
        engine.AddDirtyBitmap(new DirtyBitmapOptions { NodeName = node.NodeName, Name = "b0", Granularity = nonDefault ? 4096 : DirtyBitmapOptions.DefaultGranularity, Disabled = nonDefault });
        if (type == BlockExportType.Nbd)
        {
            engine.StartNbdServer(new NbdServerOptions { Address = SocketAddressOptions.Unix(Path.Combine(_directory, "nbd.sock")), MaxConnections = nonDefault ? 3u : 0u });
        }

        var export = new BlockExportOptions
        {
            Type = type,
            Id = "e0",
            NodeName = node.NodeName,
            Writable = !node.ReadOnly,
            Writethrough = nonDefault,
            IoThread = nonDefault ? "io0" : null,
            Nbd = nonDefault ? new NbdExportOptions { Name = "other", Description = "d", Bitmaps = ["b0"], AllocationDepth = true } : new NbdExportOptions(),
            VhostUserBlk = new VhostUserBlkExportOptions
            {
                Address = SocketAddressOptions.Unix(Path.Combine(_directory, "vub.sock")),
                NumQueues = nonDefault ? 2 : 1,
                LogicalBlockSize = nonDefault ? 4096 : 512,
            },
            VduseBlk = new VduseBlkExportOptions { Name = "vduse0" },
            Fuse = new FuseExportOptions
            {
                MountPoint = NewFile(),
                Growable = nonDefault,
                AllowOther = nonDefault ? FuseExportAllowOther.On : FuseExportAllowOther.Auto,
            },
        };
        try
        {
            engine.AddBlockExport(export);
        }
        catch (EngineException e) when (e.ErrorId == ErrorIds.ExportTypeNotSupported)
        {
            // The engine has no such export type yet: the nodes, bitmaps and iothreads are still checked.
            Assert.NotEqual(BlockExportType.Nbd, type);
        }

        AssertReadStateIsDesired(engine);

        // The same through QMP, as Get- and Test-ExportConfiguration -Engine see a host.
        using var server = QmpServer.Start(engine, Path.Combine(_directory, "qmp.sock"));
        using var remote = QmpExportEngine.Connect(server.SocketPath, TimeSpan.FromSeconds(10));
        AssertReadStateIsDesired(remote);
    }

    private static void AssertReadStateIsDesired(IExportEngine engine)
    {
        var plan = ExportConfigurationService.Plan(engine, ExportConfigurationService.Get(engine));

        Assert.True(plan.InDesiredState, string.Join("\n", plan.Drift.Select(d => $"{d.Action} {d.Kind} {d.Id} {d.Property}: {d.Actual} -> {d.Desired}")));
        Assert.Empty(plan.Steps);
    }

    /// <summary>A node of the driver; raw and x-fault-inject sit on a child node of their own (a file, or a read-only memory disk), memory on a backing node.</summary>
    private BlockNodeOptions NodeOptions(ExportEngine engine, BlockDriverKind driver, bool nonDefault) => driver switch
    {
        BlockDriverKind.File => new() { NodeName = "disk", Driver = driver, Path = NewFile(), ReadOnly = nonDefault },
        BlockDriverKind.Memory => new()
        {
            NodeName = "disk",
            Driver = driver,
            Size = Size,
            Compression = nonDefault ? BlockCompression.Lz4 : BlockCompression.None,
            Backing = nonDefault ? engine.AddBlockNode(new() { NodeName = "base", Driver = driver, Size = 2 * Size, ReadOnly = true }).NodeName : null,
        },
        BlockDriverKind.Null => new() { NodeName = "disk", Driver = driver, Size = Size, ReadZeroes = !nonDefault },
        BlockDriverKind.Raw or BlockDriverKind.FaultInject => new()
        {
            NodeName = "disk",
            Driver = driver,
            File = engine.AddBlockNode(nonDefault
                ? new() { NodeName = "child", Driver = BlockDriverKind.Memory, Size = Size, ReadOnly = true }
                : new() { NodeName = "child", Driver = BlockDriverKind.File, Path = NewFile() }).NodeName,
            ReadOnly = nonDefault,
        },
        BlockDriverKind.Nbd => Tests.NbdClient.RemoteNode.Options(Remote, nodeName: "disk") with
        {
            ReconnectDelay = nonDefault ? 5u : 0u,
            OpenTimeout = nonDefault ? 2u : 0u,
            XMultiConn = nonDefault ? 2u : 1u,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(driver), driver, "a new driver needs its case here"),
    };

    /// <summary>The options every blockdev has, all changed from their defaults in the non-default case.</summary>
    private static BlockNodeOptions WithCommonOptions(BlockNodeOptions options, bool nonDefault) => nonDefault
        ? options with { Discard = BlockDiscardMode.Unmap, DetectZeroes = BlockDetectZeroes.Unmap, NoFlush = true, ForceShare = options.ReadOnly }
        : options;

    private string NewFile()
    {
        string path = Path.Combine(_directory, Path.GetRandomFileName());
        using (var file = File.Create(path))
        {
            file.SetLength(Size);
        }

        return path;
    }

    /// <summary>The NBD server nbd nodes connect to, started when a case first needs it.</summary>
    private NbdTestServer Remote => _remote ??= new NbdTestServer(size: Size, unix: true);

    public void Dispose()
    {
        _remote?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
