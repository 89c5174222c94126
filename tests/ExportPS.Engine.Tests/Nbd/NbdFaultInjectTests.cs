using ExportPS.Engine.Model;
using ExportPS.TestSupport;
using Xunit;

namespace ExportPS.Engine.Tests.Nbd;

/// <summary>
/// Faults armed on an x-fault-inject node reach a real NBD client (python3-libnbd) with the right errno; a failed write
/// is neither acknowledged nor in the child node; the next flush reports it; the connection and the export go on, and
/// succeed again once the fault is cleared.
/// </summary>
public sealed class NbdFaultInjectTests : IDisposable
{
    private const int K = 4096;
    private const long M = 1 << 20;

    private readonly NbdTestServer _server = new(addExport: false);

    public NbdFaultInjectTests()
    {
        Engine.AddBlockNode(new BlockNodeOptions { NodeName = "f", Driver = BlockDriverKind.FaultInject, File = "disk", Discard = BlockDiscardMode.Unmap });
        Engine.AddBlockExport(new BlockExportOptions { Id = "exp", NodeName = "f", Writable = true });
    }

    private ExportEngine Engine => _server.Engine;

    public void Dispose() => _server.Dispose();

    /// <summary>Runs the requests on one connection; each line is "request result... milliseconds".</summary>
    private string[] Run(params string[] requests)
    {
        var result = PeerProcess.Run(Peer.Python3, [TestScript.Path("libnbd_io.py"), _server.Uri("f"), .. requests], TimeSpan.FromSeconds(30))
            .Check("libnbd_io.py");
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(requests.Length, lines.Length);
        return lines;
    }

    /// <summary>The outcome of each request without its duration: "ok aa", "ok -", "EIO".</summary>
    private string[] Outcomes(params string[] requests) =>
        Run(requests).Select(line => string.Join(' ', line.Split(' ')[1..^1])).ToArray();

    private byte[] ChildBytes(long offset, int length)
    {
        var buffer = new byte[length];
        Engine.Graph.GetNode("disk").ReadAsync(offset, buffer).AsTask().GetAwaiter().GetResult();
        return buffer;
    }

    [Fact]
    public void AReadInTheFaultyRangeGetsEioAndTheConnectionGoesOn()
    {
        Assert.Equal(["ok -"], Outcomes($"pwrite:0:{2 * M}:aa"));
        Engine.SetBlockFault(new BlockFaultOptions { NodeName = "f", Operation = BlockFaultOperation.Read, Offset = M, Length = 64 * 1024 });

        Assert.Equal(["EIO", "ok aa", "EIO", "ok aa", "ok aa"],
            Outcomes($"pread:{M}:{K}", $"pread:0:{K}", $"pread:{M - K}:{2 * K}", $"pread:{M + 64 * 1024}:{K}", "pread:0:4096"));

        Engine.ClearBlockFault("f", null);
        Assert.Equal(["ok aa"], Outcomes($"pread:{M}:{K}"));
        Assert.Empty(Engine.GetBlockFaults());
    }

    [Fact]
    public void AFailedWriteIsNotAcknowledgedNorInTheChildAndTheNextFlushReportsItOnce()
    {
        Engine.SetBlockFault(new BlockFaultOptions { NodeName = "f", Operation = BlockFaultOperation.Write, Errno = BlockFaultErrno.ENOSPC });

        Assert.Equal(["ENOSPC", "ok 00", "EIO", "ok -"], Outcomes($"pwrite:0:{64 * 1024}:5a", $"pread:0:{64 * 1024}", "flush", "flush"));
        Assert.All(ChildBytes(0, 64 * 1024), b => Assert.Equal(0, b));

        Engine.ClearBlockFault("f", BlockFaultOperation.Write);
        Assert.Equal(["ok -", "ok -", "ok 5a"], Outcomes($"pwrite:0:{64 * 1024}:5a", "flush", $"pread:0:{64 * 1024}"));
        Assert.All(ChildBytes(0, 64 * 1024), b => Assert.Equal(0x5a, b));
    }

    [Fact]
    public void ACountedShortWriteTearsOnceThenWritesSucceed()
    {
        Engine.SetBlockFault(new BlockFaultOptions
        {
            NodeName = "f", Operation = BlockFaultOperation.Write, Count = 1, ShortBytes = K,
        });

        Assert.Equal(["EIO", "ok 77", "ok 00", "ok -", "ok 66"],
            Outcomes($"pwrite:0:{16 * K}:77", $"pread:0:{K}", $"pread:{K}:{15 * K}", $"pwrite:0:{16 * K}:66", $"pread:0:{16 * K}"));

        var fault = Assert.Single(Engine.GetBlockFaults());
        Assert.Equal((1L, 0L), (fault.Hits, fault.RemainingCount!.Value));
    }

    [Fact]
    public void FaultsOnFlushTrimAndWriteZeroesReachTheClient()
    {
        Engine.SetBlockFault(new BlockFaultOptions { NodeName = "f", Operation = BlockFaultOperation.Flush, Count = 1 });
        Engine.SetBlockFault(new BlockFaultOptions { NodeName = "f", Operation = BlockFaultOperation.Discard, Errno = BlockFaultErrno.ENOSPC });
        Engine.SetBlockFault(new BlockFaultOptions { NodeName = "f", Operation = BlockFaultOperation.WriteZeroes, Offset = M });

        // The failed write-zeroes is reported again by the next flush (only by that one).
        Assert.Equal(["EIO", "ok -", "ENOSPC", "ok -", "EIO", "EIO", "ok -"],
            Outcomes("flush", "flush", $"trim:0:{K}", $"zero:0:{K}", $"zero:{M}:{K}", "flush", "flush"));
    }

    [Fact]
    public void ADelayMakesRequestsSlowWithoutFailingThem()
    {
        Assert.Equal(["ok -"], Outcomes($"pwrite:0:{K}:42"));
        Engine.SetBlockFault(new BlockFaultOptions
        {
            NodeName = "f", Operation = BlockFaultOperation.Read, Errno = BlockFaultErrno.None, Delay = TimeSpan.FromMilliseconds(400), Length = K,
        });

        var lines = Run($"pread:0:{K}", $"pread:{M}:{K}");
        Assert.StartsWith($"pread:0:{K} ok 42 ", lines[0]);
        Assert.InRange(int.Parse(lines[0].Split(' ')[^1]), 390, 30_000);
        Assert.StartsWith($"pread:{M}:{K} ok 00 ", lines[1]);
        Assert.Equal(1, Assert.Single(Engine.GetBlockFaults()).Hits); // the read outside the range was not held
    }
}
