using ExportPS.Engine.Configuration;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using Xunit;
using static ExportPS.Engine.Configuration.ConfigurationStepKind;

namespace ExportPS.Engine.Tests.Configuration;

/// <summary>Planning is pure (configuration against a read state), so every rule is checked here without an engine.</summary>
public sealed class ConfigurationPlannerTests
{
    private const long MiB = 1 << 20;

    private static BlockNodeConfiguration Node(string name, string? backing = null, long size = MiB) =>
        new() { NodeName = name, Driver = BlockDriverKind.Memory, Size = size, Backing = backing };

    private static DirtyBitmapConfiguration Bitmap(string node, string name) => new() { NodeName = node, Name = name };

    private static BlockExportConfiguration Export(string id, string node, params string[] bitmaps) =>
        new() { Id = id, NodeName = node, Bitmaps = bitmaps };

    private static NbdServerConfiguration Server(int port = 10809) => new() { Address = SocketAddressOptions.Inet("127.0.0.1", port) };

    /// <summary>io0; base &lt;- top (backing); bitmap top/b0; the server; export e0 of top publishing b0.</summary>
    private static ExportConfiguration Full() => new()
    {
        IoThreads = [new() { Id = "io0" }],
        BlockNodes = [Node("base", size: 2 * MiB), Node("top", "base")],
        DirtyBitmaps = [Bitmap("top", "b0")],
        NbdServer = Server(),
        Exports = [Export("e0", "top", "b0") with { IoThread = "io0" }],
    };

    private static ConfigurationPlan Plan(ExportConfiguration desired, ExportConfiguration current, bool prune = false) =>
        ConfigurationPlanner.Plan(desired, current, new ConfigurationOptions { Prune = prune });

    private static string[] Steps(ConfigurationPlan plan) => plan.Steps.Select(s => $"{s.Kind} {s.Target}").ToArray();

    [Fact]
    public void TheSameStatePlansNothing()
    {
        var plan = Plan(Full(), Full());
        Assert.True(plan.InDesiredState);
        Assert.Empty(plan.Drift);
        Assert.Empty(plan.Steps);
        Assert.StartsWith("Nothing to do", plan.Summary);
    }

    [Fact]
    public void AdditionsComeInDependencyOrderWhateverTheListOrder()
    {
        var full = Full();
        var reversed = full with { BlockNodes = [.. full.BlockNodes.Reverse()] };
        var plan = Plan(reversed, new ExportConfiguration());

        Assert.Equal(["AddIoThread io0", "AddBlockNode base", "AddBlockNode top", "AddDirtyBitmap top/b0", "StartNbdServer NbdServer", "AddExport e0"], Steps(plan));
        Assert.Equal("Add block node 'base' (memory, 2 MiB)", plan.Steps[1].Description);
        Assert.Equal("Add block node 'top' (memory, 1 MiB, backing 'base')", plan.Steps[2].Description);
        Assert.Equal("Add dirty bitmap 'top/b0' (granularity 64 KiB)", plan.Steps[3].Description);
        Assert.Equal("Start the NBD server on 127.0.0.1:10809", plan.Steps[4].Description);
        Assert.Equal("Add export 'e0' (nbd of node 'top', read-only, iothread 'io0', bitmaps b0)", plan.Steps[5].Description);
        Assert.Equal("2 MiB", Assert.Single(plan.Drift, d => d.Id == "base").Desired![^5..]);
        Assert.All(plan.Drift, d => Assert.Equal(DriftAction.Add, d.Action));
        Assert.Equal(6, plan.Drift.Count);
    }

    [Fact]
    public void UnlistedItemsAreLeftAloneUnlessPruned()
    {
        var desired = new ExportConfiguration { BlockNodes = [Node("base", size: 2 * MiB)] };
        Assert.Empty(Plan(desired, Full()).Steps);

        var pruned = Plan(desired, Full(), prune: true);
        Assert.Equal(["RemoveExport e0", "StopNbdServer NbdServer", "RemoveDirtyBitmap top/b0", "RemoveBlockNode top", "RemoveIoThread io0"], Steps(pruned));
        Assert.All(pruned.Drift, d => Assert.Equal(DriftAction.Remove, d.Action));
        Assert.Equal(Steps(pruned), Steps(Plan(desired with { Prune = true }, Full())));
    }

    [Fact]
    public void PruningEverythingRemovesDependentsFirst()
    {
        var plan = Plan(new ExportConfiguration(), Full(), prune: true);
        Assert.Equal(
            ["RemoveExport e0", "StopNbdServer NbdServer", "RemoveDirtyBitmap top/b0", "RemoveBlockNode top", "RemoveBlockNode base", "RemoveIoThread io0"],
            Steps(plan));
        Assert.Equal("Remove export 'e0', safe mode, and wait until it is deleted", plan.Steps[0].Description);
        var hard = ConfigurationPlanner.Plan(new ExportConfiguration(), Full(), new() { Prune = true, ExportRemoveMode = BlockExportRemoveMode.Hard });
        Assert.Contains("hard mode", hard.Steps[0].Description);
    }

    [Fact]
    public void AbsentRemovesOnlyWhatIsListedAbsent()
    {
        var desired = new ExportConfiguration
        {
            Exports = [new() { Id = "e0", Ensure = ConfigurationEnsure.Absent }, new() { Id = "never-existed", Ensure = ConfigurationEnsure.Absent }],
            DirtyBitmaps = [Bitmap("top", "b0") with { Ensure = ConfigurationEnsure.Absent }],
            BlockNodes = [new() { NodeName = "top", Ensure = ConfigurationEnsure.Absent }],
        };
        var plan = Plan(desired, Full());
        Assert.Equal(["RemoveExport e0", "RemoveDirtyBitmap top/b0", "RemoveBlockNode top"], Steps(plan));
        Assert.Equal(3, plan.Drift.Count);
    }

    [Fact]
    public void RemovingANodeAnUnlistedExportUsesIsRefusedBeforeAnythingIsDone()
    {
        var desired = new ExportConfiguration { BlockNodes = [new() { NodeName = "top", Ensure = ConfigurationEnsure.Absent }] };
        var error = Assert.Throws<EngineException>(() => Plan(desired, Full()));
        Assert.Equal(ErrorIds.InvalidConfiguration, error.ErrorId);
        Assert.Contains("dirty bitmap 'top/b0' in the engine (not in the configuration), NodeName: block node 'top' is listed with Ensure = 'Absent' (BlockNodes[0])", error.Message);
    }

    public static TheoryData<BlockNodeConfiguration, string> NodeChanges() => new()
    {
        { Node("top", "base") with { Size = 2 * MiB }, "Size" },
        { Node("top", "base") with { ReadOnly = true }, "ReadOnly" },
        { Node("top", "base") with { Compression = BlockCompression.Lz4 }, "Compression" },
        { Node("top", null), "Backing" },
        { Node("top", "base") with { Driver = BlockDriverKind.Null }, "Driver" },
    };

    [Theory]
    [MemberData(nameof(NodeChanges))]
    public void ANodeChangeReplacesTheNodeAndWhatDependsOnIt(BlockNodeConfiguration changed, string property)
    {
        var desired = Full() with { BlockNodes = [Node("base", size: 2 * MiB), changed], Exports = [Export("e0", "top", "b0") with { IoThread = "io0", Writable = false }] };
        var plan = Plan(desired, Full());

        var drift = Assert.Single(plan.Drift);
        Assert.Equal((ConfigurationItemKind.BlockNode, "top", property, DriftAction.Change, true), (drift.Kind, drift.Id, drift.Property, drift.Action, drift.RequiresReplace));
        Assert.Equal(["RemoveExport e0", "RemoveDirtyBitmap top/b0", "RemoveBlockNode top", "AddBlockNode top", "AddDirtyBitmap top/b0", "AddExport e0"], Steps(plan));
        Assert.Contains($"to replace it ({property}: ", plan.Steps[2].Description);
        Assert.Equal("Remove export 'e0' because block node 'top' is replaced, safe mode, and wait until it is deleted", plan.Steps[0].Description);
        Assert.EndsWith(" again", plan.Steps[^1].Description);
    }

    [Fact]
    public void FileAndNullNodePropertiesAreCompared()
    {
        var file = new BlockNodeConfiguration { NodeName = "f", Driver = BlockDriverKind.File, Path = "/a" };
        var nul = new BlockNodeConfiguration { NodeName = "z", Driver = BlockDriverKind.Null, Size = MiB };
        var current = new ExportConfiguration { BlockNodes = [file, nul] };
        Assert.Equal(["Path"], Plan(current with { BlockNodes = [file with { Path = "/b" }, nul] }, current).Drift.Select(d => d.Property));
        Assert.Equal(["CacheDirect"], Plan(current with { BlockNodes = [file with { CacheDirect = true }, nul] }, current).Drift.Select(d => d.Property));
        Assert.Equal(["ReadZeroes"], Plan(current with { BlockNodes = [file, nul with { ReadZeroes = false }] }, current).Drift.Select(d => d.Property));
    }

    [Fact]
    public void ARawNodeComesAfterItsFileChildAndIsReplacedWithIt()
    {
        var raw = new BlockNodeConfiguration { NodeName = "raw", Driver = BlockDriverKind.Raw, File = "top" };
        var current = Full() with { BlockNodes = [raw, .. Full().BlockNodes], Exports = [Export("e0", "raw") with { IoThread = "io0" }] };
        Assert.Equal(["AddIoThread io0", "AddBlockNode base", "AddBlockNode top", "AddBlockNode raw", "AddDirtyBitmap top/b0", "StartNbdServer NbdServer", "AddExport e0"],
            Steps(Plan(current, new ExportConfiguration())));
        Assert.Equal("Add block node 'raw' (raw, file 'top')", Plan(current, new ExportConfiguration()).Steps[3].Description);

        var desired = current with { BlockNodes = [raw, Node("base", size: 2 * MiB), Node("top", "base", size: 2 * MiB)] };
        var plan = Plan(desired, current);
        Assert.Equal(("top", "Size"), (Assert.Single(plan.Drift).Id, plan.Drift[0].Property));
        Assert.Equal(
            ["RemoveExport e0", "RemoveDirtyBitmap top/b0", "RemoveBlockNode raw", "RemoveBlockNode top",
             "AddBlockNode top", "AddBlockNode raw", "AddDirtyBitmap top/b0", "AddExport e0"],
            Steps(plan));
        Assert.Equal("Remove block node 'raw' because block node 'top' is replaced", plan.Steps[2].Description);

        var moved = Plan(current with { BlockNodes = [raw with { File = "base" }, .. Full().BlockNodes] }, current);
        Assert.Equal(("File", "base", "top"), (Assert.Single(moved.Drift).Property, moved.Drift[0].Desired, moved.Drift[0].Actual));
    }

    [Fact]
    public void ReplacingABaseNodeReplacesItsWholeChainInOrder()
    {
        var desired = Full() with { BlockNodes = [Node("base", size: 4 * MiB), Node("top", "base")] };
        var plan = Plan(desired, Full());
        Assert.Equal(
            ["RemoveExport e0", "RemoveDirtyBitmap top/b0", "RemoveBlockNode top", "RemoveBlockNode base",
             "AddBlockNode base", "AddBlockNode top", "AddDirtyBitmap top/b0", "AddExport e0"],
            Steps(plan));
        Assert.Equal("Size", Assert.Single(plan.Drift).Property);
    }

    [Fact]
    public void EnablingABitmapIsInPlaceButReleasesTheExportsThatHoldIt()
    {
        var current = Full() with { DirtyBitmaps = [Bitmap("top", "b0"), Bitmap("top", "free") with { Enabled = false }] };
        var desired = current with { DirtyBitmaps = [Bitmap("top", "b0") with { Enabled = false }, Bitmap("top", "free")] };
        var plan = Plan(desired, current);

        Assert.All(plan.Drift, d => Assert.Equal(("Enabled", DriftAction.Change, false), (d.Property, d.Action, d.RequiresReplace)));
        Assert.Equal(["RemoveExport e0", "DisableDirtyBitmap top/b0", "EnableDirtyBitmap top/free", "AddExport e0"], Steps(plan));
        Assert.Equal("Remove export 'e0' because dirty bitmap 'top/b0' is changed, safe mode, and wait until it is deleted", plan.Steps[0].Description);
    }

    [Theory]
    [InlineData("Granularity")]
    [InlineData("Persistent")]
    public void OtherBitmapChangesReplaceIt(string property)
    {
        var changed = property == "Granularity" ? Bitmap("top", "b0") with { Granularity = 4096 } : Bitmap("top", "b0") with { Persistent = true };
        var plan = Plan(Full() with { DirtyBitmaps = [changed] }, Full());
        Assert.Equal(property, Assert.Single(plan.Drift).Property);
        Assert.Equal(["RemoveExport e0", "RemoveDirtyBitmap top/b0", "AddDirtyBitmap top/b0", "AddExport e0"], Steps(plan));
    }

    public static TheoryData<NbdServerConfiguration, string> ServerChanges() => new()
    {
        { Server(10810), "Address" },
        { Server() with { Address = SocketAddressOptions.Unix("/run/nbd") }, "Address" },
        { Server() with { MaxConnections = 4 }, "MaxConnections" },
        { Server() with { TlsCreds = "tls0" }, "TlsCreds" },
        { Server() with { TlsAuthz = "authz0" }, "TlsAuthz" },
    };

    [Theory]
    [MemberData(nameof(ServerChanges))]
    public void AServerChangeRestartsItAroundItsExports(NbdServerConfiguration changed, string property)
    {
        var plan = Plan(Full() with { NbdServer = changed }, Full());
        Assert.Equal(property, Assert.Single(plan.Drift).Property);
        Assert.Equal(["RemoveExport e0", "StopNbdServer NbdServer", "StartNbdServer NbdServer", "AddExport e0"], Steps(plan));
        Assert.StartsWith($"Stop the NBD server on 127.0.0.1:10809 to replace it ({property}: ", plan.Steps[1].Description);
        Assert.StartsWith($"Start the NBD server on {changed.Address}", plan.Steps[2].Description);
    }

    [Fact]
    public void ServerSettingsAreDescribed()
    {
        var secured = Full() with { NbdServer = Server() with { MaxConnections = 4, TlsCreds = "tls0", TlsAuthz = "authz0" } };
        Assert.Equal("Start the NBD server on 127.0.0.1:10809 (max-connections 4, tls-creds 'tls0', tls-authz 'authz0')",
            Plan(secured, new ExportConfiguration()).Steps.Single(s => s.Kind == StartNbdServer).Description);
    }

    [Fact]
    public void PortZeroMatchesAnyPortAndHostsCompareCaseInsensitively()
    {
        Assert.Empty(Plan(Full() with { NbdServer = Server(0) }, Full() with { NbdServer = Server(43210) }).Steps);
        var v6 = Full() with { NbdServer = new() { Address = SocketAddressOptions.Inet("[FE80::1]", 1) } };
        Assert.Empty(Plan(v6, Full() with { NbdServer = new() { Address = SocketAddressOptions.Inet("fe80::1", 1) } }).Steps);
    }

    [Fact]
    public void StoppingTheServerRemovesItsExportsFirst()
    {
        var plan = Plan(new ExportConfiguration { NbdServer = new() { Ensure = ConfigurationEnsure.Absent }, Exports = [new() { Id = "e0", Ensure = ConfigurationEnsure.Absent }] }, Full());
        Assert.Equal(["RemoveExport e0", "StopNbdServer NbdServer"], Steps(plan));
        Assert.Throws<EngineException>(() => Plan(new ExportConfiguration { NbdServer = new() { Ensure = ConfigurationEnsure.Absent } }, Full()));
    }

    public static TheoryData<BlockExportConfiguration, string> ExportChanges() => new()
    {
        { Export("e0", "base") with { IoThread = "io0" }, "NodeName" },
        { Export("e0", "top", "b0") with { IoThread = "io0", Writable = true }, "Writable" },
        { Export("e0", "top", "b0") with { IoThread = "io0", Writethrough = true }, "Writethrough" },
        { Export("e0", "top", "b0"), "IoThread" },
        { Export("e0", "top", "b0") with { IoThread = "io0", Name = "other" }, "Name" },
        { Export("e0", "top", "b0") with { IoThread = "io0", Description = "d" }, "Description" },
        { Export("e0", "top") with { IoThread = "io0" }, "Bitmaps" },
        { Export("e0", "top", "b0") with { IoThread = "io0", AllocationDepth = true }, "AllocationDepth" },
        { Export("e0", "top") with { IoThread = "io0", Type = BlockExportType.Fuse }, "Type" },
    };

    [Theory]
    [MemberData(nameof(ExportChanges))]
    public void AnExportChangeReplacesTheExportOnly(BlockExportConfiguration changed, string property)
    {
        var plan = Plan(Full() with { Exports = [changed] }, Full());
        Assert.Contains(plan.Drift, d => d.Property == property && d.Action == DriftAction.Change && d.RequiresReplace);
        Assert.Equal(["RemoveExport e0", "AddExport e0"], Steps(plan));
    }

    [Fact]
    public void EquivalentSpellingsAreNoDrift()
    {
        var named = Full() with { Exports = [Export("e0", "top", "top/b0") with { IoThread = "io0", Name = "top" }] };
        Assert.Empty(Plan(named, Full()).Drift);
    }

    [Fact]
    public void DriftRecordsSayWhatDiffersBothWays()
    {
        var desired = new ExportConfiguration { BlockNodes = [Node("new")], Exports = [new() { Id = "e0", Ensure = ConfigurationEnsure.Absent }] };
        var plan = Plan(desired, Full());
        Assert.Contains(plan.Drift, d => d is { Kind: ConfigurationItemKind.BlockNode, Id: "new", Action: DriftAction.Add, Desired: "memory, 1 MiB", Actual: null, Property: null });
        Assert.Contains(plan.Drift, d => d is { Kind: ConfigurationItemKind.Export, Id: "e0", Action: DriftAction.Remove, Desired: null, Property: null }
            && d.Actual == "nbd of node 'top', read-only, iothread 'io0', bitmaps b0");
        Assert.False(plan.InDesiredState);
    }

    public static TheoryData<ExportConfiguration, string, string> InvalidTargets() => new()
    {
        { new() { Exports = [Export("x", "nowhere")] , NbdServer = Server() }, "Exports[0].NodeName", "block node 'nowhere' does not exist and is not in the configuration" },
        { new() { Exports = [Export("x", "top") with { IoThread = "io9" }] }, "Exports[0].IoThread", "iothread 'io9' does not exist" },
        { new() { Exports = [Export("x", "top", "nope")] }, "Exports[0].Bitmaps", "dirty bitmap 'top/nope' does not exist" },
        { new() { DirtyBitmaps = [Bitmap("ghost", "b")] }, "DirtyBitmaps[0].NodeName", "block node 'ghost' does not exist" },
        { new() { BlockNodes = [Node("n", "ghost")] }, "BlockNodes[0].Backing", "block node 'ghost' does not exist" },
        { new() { BlockNodes = [Node("a", "b"), Node("b", "a")] }, "BlockNodes[0].Backing", "backing chain loop through block nodes 'a', 'b'" },
        { new() { BlockNodes = [new() { NodeName = "r", Driver = BlockDriverKind.Raw, File = "ghost" }] }, "BlockNodes[0].File", "block node 'ghost' does not exist and is not in the configuration" },
        { new() { BlockNodes = [new() { NodeName = "r", Driver = BlockDriverKind.Raw, File = "s" }, new() { NodeName = "s", Driver = BlockDriverKind.Raw, File = "r" }] }, "BlockNodes[0].File", "file chain loop through block nodes 'r', 's'" },
        { new() { BlockNodes = [Node("ro") with { ReadOnly = true }, new() { NodeName = "r", Driver = BlockDriverKind.Raw, File = "ro" }] }, "BlockNodes[1].ReadOnly", "block node 'ro' is read-only: a writable raw node cannot use it" },
        { new() { BlockNodes = [Node("ro") with { ReadOnly = true }], Exports = [Export("x", "ro") with { Writable = true }] }, "Exports[0].Writable", "block node 'ro' is read-only" },
        { new() { NbdServer = new() { Ensure = ConfigurationEnsure.Absent }, Exports = [Export("x", "top")] }, "Exports[0].Type", "the NBD server is listed with Ensure = 'Absent' (NbdServer)" },
        { new() { Exports = [Export("x", "top") with { IoThread = "io0" }], Prune = true }, "Exports[0].NodeName", "block node 'top' is not in the configuration and pruning removes it" },
        { new() { BlockNodes = [Node("a"), Node("a")] }, "BlockNodes[1].NodeName", "'a' is already configured by BlockNodes[0]" },
    };

    [Theory]
    [MemberData(nameof(InvalidTargets))]
    public void AnIncompleteTargetIsRefusedWithThePathOfTheReference(ExportConfiguration desired, string path, string message)
    {
        var error = Assert.Throws<EngineException>(() => Plan(desired, Full()));
        Assert.Equal((ErrorIds.InvalidConfiguration, EngineErrorCategory.InvalidArgument, path), (error.ErrorId, error.Category, error.Target));
        Assert.Equal($"{path}: {message}", error.Message[..Math.Min(error.Message.Length, path.Length + 2 + message.Length)]);
    }

    [Fact]
    public void AnNbdExportNeedsTheServerInTheEngineOrTheConfiguration()
    {
        var desired = new ExportConfiguration { BlockNodes = [Node("top")], Exports = [Export("x", "top")] };
        var error = Assert.Throws<EngineException>(() => Plan(desired, new ExportConfiguration()));
        Assert.Equal("Exports[0].Type: the NBD server is not running and not in the configuration", error.Message);
        Assert.Equal(["AddBlockNode top", "StartNbdServer NbdServer", "AddExport x"], Steps(Plan(desired with { NbdServer = Server() }, new ExportConfiguration())));
    }
}
