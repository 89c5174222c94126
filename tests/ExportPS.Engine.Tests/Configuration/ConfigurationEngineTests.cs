using System.Collections;
using ExportPS.Engine.Configuration;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using Xunit;
using static ExportPS.Engine.Tests.Configuration.Tables;

namespace ExportPS.Engine.Tests.Configuration;

/// <summary>Get, Test and Set against real in-process engines (memory and null nodes, the NBD server on a unix socket).</summary>
public sealed class ConfigurationEngineTests : IDisposable
{
    private readonly TempDirectory _directory = new("exportps-config-");
    private readonly List<ExportEngine> _engines = [];

    private string Socket => _directory.File("nbd.sock");

    private ExportEngine NewEngine()
    {
        var engine = new ExportEngine();
        _engines.Add(engine);
        return engine;
    }

    private Hashtable Full() => H(
        ("IoThreads", L("io0", "io1")),
        ("BlockNodes", L(
            H(("NodeName", "top"), ("Driver", "memory"), ("Size", 1 << 20), ("Backing", "base")),
            H(("NodeName", "base"), ("Driver", "memory"), ("Size", 2 << 20), ("ReadOnly", true)),
            H(("NodeName", "zero"), ("Driver", "null"), ("Size", 4096), ("ReadZeroes", false)))),
        ("DirtyBitmaps", L(
            H(("NodeName", "top"), ("Name", "b0"), ("Granularity", 4096)),
            H(("NodeName", "base"), ("Name", "b1"), ("Persistent", true), ("Enabled", false)))),
        ("NbdServer", H(("Address", "unix:" + Socket), ("MaxConnections", 8))),
        ("Exports", L(
            H(("Id", "e0"), ("NodeName", "top"), ("Writable", true), ("IoThread", "io0"), ("Name", "disk"), ("Description", "the disk"),
              ("Bitmaps", L("b0", "base/b1")), ("AllocationDepth", true)),
            H(("Id", "e1"), ("NodeName", "zero")))));

    [Fact]
    public void SetBuildsTheStateAndASecondSetHasNothingToDo()
    {
        var engine = NewEngine();
        var applied = new List<string>();
        var plan = ExportConfigurationService.Set(engine, Full(), onApplied: s => applied.Add(s.Description));

        Assert.Equal(10, plan.Steps.Count);
        Assert.Equal(plan.Steps.Select(s => s.Description), applied);
        Assert.Equal(["io0", "io1"], engine.GetIoThreads().Select(t => t.Id).Order());
        var top = engine.GetBlockNodes().Single(n => n.NodeName == "top");
        Assert.Equal(("base", 1L << 20, false), (top.Backing, top.Size, top.ReadOnly));
        var b1 = engine.GetDirtyBitmaps().Single(b => b.Name == "b1");
        Assert.Equal((65536L, true, false, true), (b1.Granularity, b1.Persistent, b1.Enabled, b1.Busy));
        var server = engine.GetNbdServer();
        Assert.Equal((true, $"unix:{Socket}", 8u), (server.Running, server.Endpoint, server.MaxConnections));
        var e0 = engine.GetBlockExports().Single(e => e.Id == "e0");
        var nbd = Assert.IsType<NbdExportDetails>(e0.Details);
        Assert.Equal(("top", true, "io0", "disk", "the disk", true), (e0.NodeName, e0.Writable, e0.IoThread, nbd.Name, nbd.Description, nbd.AllocationDepth));
        Assert.Equal(["b0", "base/b1"], nbd.Bitmaps);

        var again = ExportConfigurationService.Set(engine, Full(), onApplied: s => applied.Add(s.Description));
        Assert.Empty(again.Steps);
        Assert.True(again.InDesiredState);
        Assert.StartsWith("Nothing to do", again.Summary);
        Assert.Equal(10, applied.Count);
        Assert.True(ExportConfigurationService.Plan(engine, Full()).InDesiredState);
    }

    [Fact]
    public void GetOutputSetOnAFreshEngineRebuildsTheSameState()
    {
        var first = NewEngine();
        ExportConfigurationService.Set(first, Full());
        var state = ExportConfigurationService.Get(first);

        Assert.Equal(["IoThreads", "BlockNodes", "DirtyBitmaps", "NbdServer", "Exports", "Netdevs"], state.Keys.Cast<string>());
        Assert.True(ExportConfigurationService.Plan(first, state).InDesiredState);
        first.Dispose();

        var second = NewEngine();
        var plan = ExportConfigurationService.Set(second, state);
        Assert.Equal(10, plan.Steps.Count);
        Assert.Equal(Render(ConfigurationParser.Parse(state)), Render(ConfigurationReader.Read(second)));
        Assert.Empty(ExportConfigurationService.Set(second, state).Steps);
    }

    [Fact]
    public void GetOfAnEmptyEngineSaysTheServerIsAbsent()
    {
        var state = ExportConfigurationService.Get(NewEngine());
        Assert.Equal("@{IoThreads=@(); BlockNodes=@(); DirtyBitmaps=@(); NbdServer=@{Ensure='Absent'}; Exports=@(); Netdevs=@()}", Render(state));
    }

    [Fact]
    public void PruneRemovesEverythingElseInASafeOrder()
    {
        var engine = NewEngine();
        ExportConfigurationService.Set(engine, Full());

        var zeroOnly = H(("NodeName", "zero"), ("Driver", "null"), ("Size", 4096), ("ReadZeroes", false));
        var plan = ExportConfigurationService.Set(engine, H(("BlockNodes", zeroOnly), ("Prune", true)));

        Assert.Equal(9, plan.Steps.Count);
        Assert.Equal(["zero"], engine.GetBlockNodes().Select(n => n.NodeName));
        Assert.Empty(engine.GetBlockExports());
        Assert.Empty(engine.GetIoThreads());
        Assert.Empty(engine.GetDirtyBitmaps());
        Assert.False(engine.GetNbdServer().Running);
    }

    [Fact]
    public void ChangesReplaceWhatCannotChangeInPlace()
    {
        var engine = NewEngine();
        ExportConfigurationService.Set(engine, Full());
        var changed = Full();
        var nodes = (object?[])changed["BlockNodes"]!;
        ((Hashtable)nodes[1]!)["Size"] = 3 << 20;
        var bitmaps = (object?[])changed["DirtyBitmaps"]!;
        ((Hashtable)bitmaps[0]!)["Enabled"] = false;
        ((Hashtable)changed["NbdServer"]!)["MaxConnections"] = 2;

        var plan = ExportConfigurationService.Set(engine, changed);

        Assert.Equal(
            ["RemoveExport e0", "RemoveExport e1", "StopNbdServer", "RemoveDirtyBitmap base/b1", "RemoveDirtyBitmap top/b0",
             "RemoveBlockNode top", "RemoveBlockNode base",
             "AddBlockNode base", "AddBlockNode top", "AddDirtyBitmap top/b0", "AddDirtyBitmap base/b1", "StartNbdServer", "AddExport e0", "AddExport e1"],
            plan.Steps.Select(s => s.Kind == ConfigurationStepKind.StopNbdServer || s.Kind == ConfigurationStepKind.StartNbdServer ? s.Kind.ToString() : $"{s.Kind} {s.Target}"));
        Assert.Equal(3L << 20, engine.GetBlockNodes().Single(n => n.NodeName == "base").Size);
        Assert.False(engine.GetDirtyBitmaps().Single(b => b.Name == "b0").Enabled);
        Assert.Equal(2u, engine.GetNbdServer().MaxConnections);
        Assert.Equal(["e0", "e1"], engine.GetBlockExports().Select(e => e.Id).Order());
        Assert.True(ExportConfigurationService.Plan(engine, changed).InDesiredState);
    }

    [Fact]
    public void IoThreadPollSettingsAreSetComparedWhereGivenAndChangedByReplacingTheIoThread()
    {
        var engine = NewEngine();
        var ioThread = H(("Id", "io0"), ("PollMaxNs", 50_000), ("poll-grow", 4));
        var configuration = H(
            ("IoThreads", ioThread),
            ("BlockNodes", H(("NodeName", "n"), ("Driver", "null"), ("Size", 4096))),
            ("NbdServer", H(("Address", "unix:" + Socket))),
            ("Exports", H(("Id", "e"), ("NodeName", "n"), ("IoThread", "io0"))));
        ExportConfigurationService.Set(engine, configuration);
        var thread = Assert.Single(engine.GetIoThreads());
        Assert.Equal((50_000L, 4L, 0L), (thread.PollMaxNs, thread.PollGrow, thread.PollShrink));
        Assert.True(ExportConfigurationService.Plan(engine, configuration).InDesiredState);
        Assert.True(ExportConfigurationService.Plan(engine, H(("IoThreads", "io0"))).InDesiredState); // left out: not compared

        ioThread["PollMaxNs"] = 0;
        var drift = Assert.Single(ExportConfigurationService.Plan(engine, configuration).Drift);
        Assert.Equal(("io0", "PollMaxNs", "0", "50000", true), (drift.Id, drift.Property, drift.Desired, drift.Actual, drift.RequiresReplace));
        var plan = ExportConfigurationService.Set(engine, configuration);
        Assert.Equal(["RemoveExport e", "RemoveIoThread io0", "AddIoThread io0", "AddExport e"], plan.Steps.Select(s => $"{s.Kind} {s.Target}"));
        Assert.Equal((0L, 4L), (Assert.Single(engine.GetIoThreads()).PollMaxNs, engine.GetIoThreads()[0].PollGrow));
        Assert.Equal("io0", Assert.Single(engine.GetBlockExports()).IoThread);
        Assert.True(ExportConfigurationService.Plan(engine, configuration).InDesiredState);
    }

    [Fact]
    public void AFailedStepSaysWhichAndWhatWasAlreadyApplied()
    {
        var engine = NewEngine();
        var configuration = H(
            ("IoThreads", "io0"),
            ("BlockNodes", L(
                H(("NodeName", "small"), ("Driver", "memory"), ("Size", 4096)),
                H(("NodeName", "huge"), ("Driver", "memory"), ("Size", 1L << 62)),
                H(("NodeName", "later"), ("Driver", "null"), ("Size", 4096)))));

        var error = Assert.Throws<ConfigurationStepException>(() => ExportConfigurationService.Set(engine, configuration));

        Assert.Equal(ErrorIds.ConfigurationStepFailed, error.ErrorId);
        Assert.Equal(ErrorIds.InvalidBlockNodeOptions, error.InnerErrorId);
        Assert.Equal(EngineErrorCategory.InvalidArgument, error.Category);
        Assert.Equal(("huge", "huge"), (error.FailedStep.Target, error.Target));
        Assert.Equal(["io0", "small"], error.AppliedSteps.Select(s => s.Target));
        Assert.StartsWith("Step 3 of 4 failed: Add block node 'huge' (memory, 4 EiB): ", error.Message);
        Assert.EndsWith("Already applied (not rolled back): Add iothread 'io0'; Add block node 'small' (memory, 4 KiB).", error.Message);
        Assert.Equal(["small"], engine.GetBlockNodes().Select(n => n.NodeName));
        Assert.Equal(["io0"], engine.GetIoThreads().Select(t => t.Id));
    }

    [Fact]
    public void SafeRemovalOfAnExportWithAClientFailsUntouchedAndHardRemovalDropsTheClient()
    {
        var engine = NewEngine();
        ExportConfigurationService.Set(engine, Full());
        var removeE0 = H(("Exports", H(("Id", "e0"), ("Ensure", "Absent"))));
        using var client = NbdTestClient.OpenExportName(Socket, "disk");
        Assert.Equal(1L << 20, client.Size);
        WaitUntil(() => engine.GetBlockExports().Single(e => e.Id == "e0").Clients == 1);

        var error = Assert.Throws<ConfigurationStepException>(() => ExportConfigurationService.Set(engine, removeE0));
        Assert.Equal(ErrorIds.ExportInUse, error.InnerErrorId);
        Assert.Empty(error.AppliedSteps);
        Assert.EndsWith("Nothing was changed.", error.Message);
        Assert.Contains(engine.GetBlockExports(), e => e.Id == "e0" && !e.ShuttingDown);

        // The node can go only once the dropped client has let the export be deleted.
        var removeTop = H(
            ("Exports", H(("Id", "e0"), ("Ensure", "Absent"))),
            ("DirtyBitmaps", H(("NodeName", "top"), ("Name", "b0"), ("Ensure", "Absent"))),
            ("BlockNodes", H(("NodeName", "top"), ("Ensure", "Absent"))));
        var plan = ExportConfigurationService.Set(engine, removeTop, new ConfigurationOptions { ExportRemoveMode = BlockExportRemoveMode.Hard });
        Assert.Equal([ConfigurationStepKind.RemoveExport, ConfigurationStepKind.RemoveDirtyBitmap, ConfigurationStepKind.RemoveBlockNode], plan.Steps.Select(s => s.Kind));
        Assert.DoesNotContain(engine.GetBlockExports(), e => e.Id == "e0");
        Assert.DoesNotContain(engine.GetBlockNodes(), n => n.NodeName == "top");
    }

    [Fact]
    public void AnExportIsWaitedForUntilDeletedBeforeWhatItHeldIsRemoved()
    {
        var inner = NewEngine();
        ExportConfigurationService.Set(inner, Full());
        var engine = new DeferredDeletionEngine(inner, TimeSpan.FromMilliseconds(300));

        ExportConfigurationService.Set(engine, H(("BlockNodes", H(("NodeName", "base"), ("Ensure", "Absent")))), new ConfigurationOptions { Prune = true });

        Assert.Equal(
            ["RemoveBlockExport e0", "WaitForExportDeleted e0", "RemoveBlockExport e1", "WaitForExportDeleted e1", "StopNbdServer",
             "RemoveDirtyBitmap base/b1", "RemoveDirtyBitmap top/b0", "RemoveBlockNode top", "RemoveBlockNode base", "RemoveBlockNode zero",
             "RemoveIoThread io0", "RemoveIoThread io1"],
            engine.Calls);
        Assert.Empty(inner.GetBlockNodes());
        Assert.Empty(inner.GetIoThreads());
    }

    [Fact]
    public void AnExportStillShuttingDownIsWaitedForBeforeItsIdIsUsedAgain()
    {
        var inner = NewEngine();
        ExportConfigurationService.Set(inner, Full());
        var engine = new DeferredDeletionEngine(inner, TimeSpan.FromMilliseconds(300));
        engine.RemoveBlockExport("e1", BlockExportRemoveMode.Safe);

        var plan = ExportConfigurationService.Set(engine, Full());

        Assert.Equal(["AddExport e1"], plan.Steps.Select(s => $"{s.Kind} {s.Target}"));
        Assert.Equal(["RemoveBlockExport e1", "WaitForExportDeleted e1", "AddBlockExport e1"], engine.Calls);
        Assert.False(inner.GetBlockExports().Single(e => e.Id == "e1").ShuttingDown);
    }

    [Fact]
    public void AnExportThatIsNeverDeletedFailsTheStepAfterTheTimeout()
    {
        var inner = NewEngine();
        ExportConfigurationService.Set(inner, Full());
        var engine = new DeferredDeletionEngine(inner, TimeSpan.FromSeconds(5));

        var error = Assert.Throws<ConfigurationStepException>(() => ExportConfigurationService.Set(
            engine, H(("Exports", H(("Id", "e1"), ("Ensure", "Absent"))), ("BlockNodes", H(("NodeName", "zero"), ("Ensure", "Absent")))),
            new ConfigurationOptions { ExportDeleteTimeout = TimeSpan.FromMilliseconds(100) }));

        Assert.Equal(ErrorIds.WaitTimedOut, error.InnerErrorId);
        Assert.Equal(EngineErrorCategory.Timeout, error.Category);
        Assert.Equal("e1", error.FailedStep.Target);
        Assert.Contains("was not deleted within 0.1 s", error.Message);
    }

    [Fact]
    public void CancellingStopsBetweenStepsWithoutCallingItAFailure()
    {
        var engine = NewEngine();
        using var cancel = new CancellationTokenSource();
        var applied = new List<string>();

        Assert.ThrowsAny<OperationCanceledException>(() => ExportConfigurationService.Set(engine, Full(),
            onApplied: s => { applied.Add(s.Target); cancel.Cancel(); }, cancellationToken: cancel.Token));

        Assert.Equal(["io0"], applied);
        Assert.Equal(["io0"], engine.GetIoThreads().Select(t => t.Id));
        Assert.Empty(engine.GetBlockNodes());
    }

    [Fact]
    public void TestReportsDriftWithoutChangingAnything()
    {
        var engine = NewEngine();
        ExportConfigurationService.Set(engine, Full());
        var changed = Full();
        ((Hashtable)((object?[])changed["Exports"]!)[1]!)["Writable"] = true;

        var plan = ExportConfigurationService.Plan(engine, changed);

        Assert.False(plan.InDesiredState);
        var drift = Assert.Single(plan.Drift);
        Assert.Equal((ConfigurationItemKind.Export, "e1", "Writable", "True", "False", DriftAction.Change), (drift.Kind, drift.Id, drift.Property, drift.Desired, drift.Actual, drift.Action));
        Assert.False(engine.GetBlockExports().Single(e => e.Id == "e1").Writable);
    }

    private static void WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s");
            Thread.Sleep(10);
        }
    }

    public void Dispose()
    {
        foreach (var engine in _engines)
        {
            engine.Dispose();
        }

        _directory.Dispose();
    }
}
