using System.Collections;
using ExportPS.Engine.Configuration;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Tests.Block;
using Xunit;
using static ExportPS.Engine.Tests.Configuration.Tables;

namespace ExportPS.Engine.Tests.VhostUserBlk;

/// <summary>Declarative configuration of vhost-user-blk exports: Set builds them, Get describes them, a change replaces them.</summary>
public sealed class VhostUserBlkConfigurationTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly ExportEngine _engine = new();

    public void Dispose()
    {
        _engine.Dispose();
        _directory.Dispose();
    }

    private string Socket => Path.Combine(_directory.Path, "vub.sock");

    private Hashtable Desired(int numQueues = 2) => H(
        ("BlockNodes", L(H(("NodeName", "disk"), ("Driver", "memory"), ("Size", 1 << 20)))),
        ("Exports", L(H(("Id", "vub"), ("Type", "vhost-user-blk"), ("NodeName", "disk"), ("Writable", true),
            ("SocketPath", Socket), ("NumQueues", numQueues), ("LogicalBlockSize", 4096)))));

    [Fact]
    public void SetBuildsTheExport_GetDescribesIt_ASecondSetHasNothingToDo()
    {
        var plan = ExportConfigurationService.Set(_engine, Desired());
        Assert.Contains(plan.Steps, s => s.Description.Contains($"vhost-user-blk of node 'disk', writable, socket '{Socket}', 2 queues, logical block size 4096"));
        var details = Assert.IsType<VhostUserBlkExportDetails>(_engine.GetBlockExports().Single().Details);
        Assert.Equal((Socket, 2, 4096L), (details.Socket, details.NumQueues, details.LogicalBlockSize));
        Assert.True(File.Exists(Socket));

        var state = ExportConfigurationService.Get(_engine);
        var export = (IDictionary)((object[])state["Exports"]!)[0];
        Assert.Equal(("VhostUserBlk", Socket, 2, 4096L), (export["Type"], export["SocketPath"], export["NumQueues"], export["LogicalBlockSize"]));
        Assert.True(ExportConfigurationService.Plan(_engine, state).InDesiredState);
        Assert.Empty(ExportConfigurationService.Set(_engine, Desired()).Steps);
    }

    [Fact]
    public void ADifferentQueueCount_ReplacesTheExport()
    {
        ExportConfigurationService.Set(_engine, Desired());
        var plan = ExportConfigurationService.Plan(_engine, Desired(numQueues: 4));
        Assert.False(plan.InDesiredState);
        Assert.Contains("NumQueues", plan.Summary + string.Join("\n", plan.Steps.Select(s => s.Description)));

        ExportConfigurationService.Set(_engine, Desired(numQueues: 4));
        Assert.Equal(4, Assert.IsType<VhostUserBlkExportDetails>(_engine.GetBlockExports().Single().Details).NumQueues);
    }

    [Fact]
    public void TheSocketIsRequired_AndOnlyVhostUserBlkTakesIt()
    {
        var missing = Assert.Throws<EngineException>(() => ExportConfigurationService.Plan(_engine,
            H(("Exports", L(H(("Id", "vub"), ("Type", "vhost-user-blk"), ("NodeName", "disk")))))));
        Assert.Equal(ErrorIds.InvalidConfiguration, missing.ErrorId);
        Assert.Contains("SocketPath", missing.Message);

        var forbidden = Assert.Throws<EngineException>(() => ExportConfigurationService.Plan(_engine,
            H(("Exports", L(H(("Id", "e"), ("NodeName", "disk"), ("NumQueues", 2)))))));
        Assert.Contains("applies only to type vhost-user-blk", forbidden.Message);
    }
}
