using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qmp;
using Xunit;

namespace ExportPS.Engine.Tests.Qmp;

/// <summary>x-block-fault-set, x-block-fault-clear and x-query-block-faults between the QMP client and server.</summary>
public sealed class QmpBlockFaultTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ExportEngine _local = new();
    private readonly QmpServer _server;
    private readonly QmpExportEngine _engine;

    public QmpBlockFaultTests()
    {
        _server = QmpServer.Start(_local, _dir.File("eps.qmp"), nbdStopGracePeriod: TimeSpan.FromSeconds(1));
        _engine = QmpExportEngine.Connect(_server.SocketPath, TimeSpan.FromSeconds(10));
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "disk", Driver = BlockDriverKind.Null, Size = 1 << 20 });
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "f", Driver = BlockDriverKind.FaultInject, File = "disk" });
    }

    public void Dispose()
    {
        _engine.Dispose();
        _server.Dispose();
        _local.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void RulesTravelWholeAndAreClearedOneOrAll()
    {
        Assert.Equal(BlockDriverKind.FaultInject, _engine.GetBlockNodes().Single(n => n.NodeName == "f").Driver);
        _engine.SetBlockFault(new BlockFaultOptions
        {
            NodeName = "f", Operation = BlockFaultOperation.Write, Errno = BlockFaultErrno.ENOSPC, Offset = 4096, Length = 8192,
            Probability = 0.5, Count = 3, Delay = TimeSpan.FromMilliseconds(20), ShortBytes = 512, Seed = 9,
        });
        _engine.SetBlockFault(new BlockFaultOptions { NodeName = "f", Operation = BlockFaultOperation.WriteZeroes, Errno = BlockFaultErrno.None, Delay = TimeSpan.FromSeconds(1) });

        Assert.Equal(_local.GetBlockFaults(), _engine.GetBlockFaults());
        var write = _engine.GetBlockFaults()[0];
        Assert.Equal((BlockFaultOperation.Write, BlockFaultErrno.ENOSPC, 4096L, 8192L, 0.5, 3L, 20L, 512L, 0L),
            (write.Operation, write.Errno, write.Offset, write.Length!.Value, write.Probability, write.RemainingCount!.Value,
                write.DelayMilliseconds, write.ShortBytes!.Value, write.Hits));

        _engine.ClearBlockFault("f", BlockFaultOperation.Write);
        Assert.Equal([BlockFaultOperation.WriteZeroes], _engine.GetBlockFaults().Select(f => f.Operation));
        _engine.ClearBlockFault("f", null);
        Assert.Empty(_local.GetBlockFaults());
    }

    [Fact]
    public void RefusalsKeepTheirMeaning()
    {
        var notFilter = Assert.Throws<EngineException>(() => _engine.SetBlockFault(new BlockFaultOptions { NodeName = "disk", Operation = BlockFaultOperation.Read }));
        Assert.Equal(EngineErrorCategory.InvalidArgument, notFilter.Category);
        Assert.Equal("Block node 'disk' is not an x-fault-inject node", notFilter.Message);

        using var raw = RawQmpConnection.OpenNegotiated(_server.SocketPath);
        var reply = raw.Execute("""{"execute":"x-block-fault-set","arguments":{"node-name":"f","operation":"read","errno":"enosys"}}""");
        Assert.Equal("Parameter 'errno' does not accept value 'enosys'", reply.GetProperty("error").GetProperty("desc").GetString());
        reply = raw.Execute("""{"execute":"x-block-fault-clear","arguments":{"node-name":"f","bogus":1}}""");
        Assert.Equal("GenericError", reply.GetProperty("error").GetProperty("class").GetString());
        Assert.Empty(_local.GetBlockFaults());
    }
}
