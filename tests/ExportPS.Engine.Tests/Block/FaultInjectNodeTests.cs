using ExportPS.Engine.Block;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using Xunit;
using static ExportPS.Engine.Tests.Block.TestNodes;

namespace ExportPS.Engine.Tests.Block;

/// <summary>An x-fault-inject node in an engine: what its faults do to requests and to its child, and the rules' checks.</summary>
public sealed class FaultInjectNodeTests : IDisposable
{
    private readonly ExportEngine _engine = new();

    public FaultInjectNodeTests()
    {
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "disk", Driver = BlockDriverKind.Memory, Size = 1 << 20, Discard = BlockDiscardMode.Unmap });
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "f", Driver = BlockDriverKind.FaultInject, File = "disk", Discard = BlockDiscardMode.Unmap });
    }

    private BlockNode Filter => _engine.Graph.GetNode("f");

    private BlockNode Child => _engine.Graph.GetNode("disk");

    public void Dispose() => _engine.Dispose();

    private void Arm(BlockFaultOptions options) => _engine.SetBlockFault(options);

    private static BlockFaultOptions On(BlockFaultOperation operation) => new() { NodeName = "f", Operation = operation };

    private static BlockError Failure(Func<ValueTask> request) =>
        Assert.Throws<BlockIoException>(() => request().AsTask().GetAwaiter().GetResult()).Error;

    [Fact]
    public void TheNodeShowsItsChildAndIsListedWithIt()
    {
        Write(Child, 0, Pattern(4096, 1));
        Assert.Equal(Pattern(4096, 1), Read(Filter, 0, 4096));
        var info = _engine.GetBlockNodes().Single(n => n.NodeName == "f");
        Assert.Equal((BlockDriverKind.FaultInject, "disk", 1L << 20), (info.Driver, info.File, info.Size));
        Assert.Equal("x-fault-inject", BlockDriverNames.Of(BlockDriverKind.FaultInject));
    }

    [Fact]
    public void AFailedWriteLeavesTheChildAsItWasAndTheNextFlushReportsItOnce()
    {
        Arm(On(BlockFaultOperation.Write) with { Errno = BlockFaultErrno.ENOSPC });
        Assert.Equal(BlockError.NoSpace, Failure(() => Filter.WriteAsync(0, Pattern(4096, 2))));
        Assert.Equal(new byte[4096], Read(Child, 0, 4096));

        Assert.Equal(BlockError.Io, Failure(() => Filter.FlushAsync()));
        Flush(Filter);
    }

    [Fact]
    public void AFailedWriteZeroesIsAlsoReportedByTheNextFlush()
    {
        Write(Child, 0, Pattern(4096, 3));
        Arm(On(BlockFaultOperation.WriteZeroes));
        Assert.Equal(BlockError.Io, Failure(() => Filter.WriteZeroesAsync(0, 4096, WriteZeroesFlags.None)));
        Assert.Equal(Pattern(4096, 3), Read(Child, 0, 4096));
        Assert.Equal(BlockError.Io, Failure(() => Filter.FlushAsync()));
    }

    [Fact]
    public void AFailedReadDoesNotFailTheNextFlush()
    {
        Arm(On(BlockFaultOperation.Read));
        Assert.Equal(BlockError.Io, Failure(() => Filter.ReadAsync(0, new byte[512])));
        Flush(Filter);
    }

    [Fact]
    public void AShortReadFillsOnlyThePrefixThenFails()
    {
        Write(Child, 0, Pattern(8192, 4));
        Arm(On(BlockFaultOperation.Read) with { ShortBytes = 1000 });
        var buffer = new byte[8192];
        Assert.Equal(BlockError.Io, Failure(() => Filter.ReadAsync(0, buffer)));
        Assert.Equal(Pattern(8192, 4)[..1000], buffer[..1000]);
        Assert.Equal(new byte[7192], buffer[1000..]);
    }

    [Fact]
    public void ADelayOnlyRuleLetsEveryOperationThroughAfterTheWait()
    {
        var delay = TimeSpan.FromMilliseconds(50);
        foreach (var operation in Enum.GetValues<BlockFaultOperation>())
        {
            Arm(On(operation) with { Errno = BlockFaultErrno.None, Delay = delay });
        }

        // Whole allocation units of the memory child, so unmapping frees them.
        const int unit = 65536;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Write(Filter, 0, Pattern(unit, 5));
        Assert.Equal(Pattern(unit, 5), Read(Filter, 0, unit));
        Flush(Filter);
        Zero(Filter, 0, unit, WriteZeroesFlags.MayUnmap);
        Assert.Equal(0, Child.AllocatedBytes);
        Write(Filter, 0, Pattern(unit, 6));
        Discard(Filter, 0, unit);
        Assert.Equal(0, Child.AllocatedBytes);
        Assert.True(watch.Elapsed >= 6 * delay, $"six delayed requests took only {watch.Elapsed}");
        Assert.All(_engine.GetBlockFaults(), f => Assert.True(f.Hits >= 1, $"{f.Operation} was not delayed"));
    }

    [Fact]
    public void RulesAreRefusedOnOtherDriversAndOnMissingNodes()
    {
        var other = Assert.Throws<EngineException>(() => _engine.SetBlockFault(On(BlockFaultOperation.Read) with { NodeName = "disk" }));
        Assert.Equal((ErrorIds.InvalidArgument, "Block node 'disk' is not an x-fault-inject node"), (other.ErrorId, other.Message));
        Assert.Equal(ErrorIds.BlockNodeNotFound,
            Assert.Throws<EngineException>(() => _engine.ClearBlockFault("nope", null)).ErrorId);
    }

    [Fact]
    public void TheNodeNeedsAFileChildAndKeepsItInUse()
    {
        var missing = Assert.Throws<EngineException>(() =>
            _engine.AddBlockNode(new BlockNodeOptions { NodeName = "g", Driver = BlockDriverKind.FaultInject }));
        Assert.Equal("Parameter 'file' is missing for driver 'x-fault-inject'", missing.Message);
        Assert.Equal(ErrorIds.BlockNodeInUse, Assert.Throws<EngineException>(() => _engine.RemoveBlockNode("disk")).ErrorId);
        _engine.RemoveBlockNode("f");
        _engine.RemoveBlockNode("disk");
    }
}
