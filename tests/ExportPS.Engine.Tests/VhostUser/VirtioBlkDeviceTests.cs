using System.Buffers.Binary;
using ExportPS.Engine.Block;
using ExportPS.Engine.Model;
using ExportPS.Engine.Tests.Block;
using ExportPS.Engine.Tests.Nbd;
using ExportPS.Engine.VhostUser;
using ExportPS.Engine.VhostUser.Blk;
using Xunit;
using static ExportPS.Engine.VhostUser.Blk.VirtioBlkProtocol;

namespace ExportPS.Engine.Tests.VhostUser;

public sealed class VirtioBlkDeviceTests
{
    private const long DiskSize = 1 << 20;

    private static VirtioBlkBench Bench(bool writable = true, bool writethrough = false, int logicalBlockSize = 512, int regionCount = 1) =>
        new(TestNodes.Memory(DiskSize), new VirtioBlkOptions
        {
            Writable = writable,
            Writethrough = writethrough,
            LogicalBlockSize = logicalBlockSize,
            Serial = "vhost-export-0",
            MaxDiscardSegments = 2,
            MaxWriteZeroesSegments = 2,
            MaxDiscardSectors = 64,
        }, regionCount: regionCount);

    private static (VirtioBlkBench Bench, ScriptedBlockDriver Driver) ScriptedBench(bool writethrough = false)
    {
        var driver = new ScriptedBlockDriver(DiskSize);
        var node = new BlockNode(new BlockNodeOptions { NodeName = "scripted", Driver = BlockDriverKind.Memory, Size = DiskSize, Discard = BlockDiscardMode.Unmap }, driver, null);
        return (new VirtioBlkBench(node, new VirtioBlkOptions { Writable = true, Writethrough = writethrough }), driver);
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 1)]
    [InlineData(false, 3)]
    [InlineData(true, 4)]
    public void WriteThenRead_RoundTripsThroughTheNode(bool indirect, int segments)
    {
        using var bench = Bench();
        var payload = TestNodes.Pattern(8192, segments);
        var write = bench.Write(16, payload, indirect, segments);
        bench.ProcessUntilUsed(1);
        Assert.Equal(StatusOk, bench.Status(write));
        Assert.Equal(1u, bench.UsedLength(write));
        Assert.Equal(payload, TestNodes.Read(bench.Node, 16 * 512, 8192));

        var read = bench.Read(16, 8192, indirect, segments);
        bench.ProcessUntilUsed(2);
        Assert.Equal(StatusOk, bench.Status(read));
        Assert.Equal(8193u, bench.UsedLength(read));
        Assert.Equal(payload, bench.Data(read, 8192));
    }

    /// <summary>A node that may hold its reads (not inline) is read through a bounce buffer, copied into every segment.</summary>
    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 3)]
    public void WriteThenRead_OnANodeThatMayHoldReads_RoundTripsThroughTheBounceBuffer(bool indirect, int segments)
    {
        var (bench, _) = ScriptedBench();
        using (bench)
        {
            Assert.False(bench.Node.ReadsCompleteInline);
            var payload = TestNodes.Pattern(12288, segments);
            bench.Write(8, payload, indirect, segments);
            var read = bench.Read(8, 12288, indirect, segments);
            bench.ProcessUntilUsed(2);
            Assert.Equal(StatusOk, bench.Status(read));
            Assert.Equal(12289u, bench.UsedLength(read));
            Assert.Equal(payload, bench.Data(read, 12288));
        }
    }

    [Fact]
    public void DataAcrossGuestMemoryRegions_IsReadAndWrittenWhole()
    {
        using var bench = Bench(regionCount: 2);
        bench.Guest.AllocateFrom(TestGuest.GuestBase + (4 << 20) - 4096);
        var payload = TestNodes.Pattern(16384, 7);
        var write = bench.Write(0, payload);
        bench.ProcessUntilUsed(1);
        Assert.Equal(StatusOk, bench.Status(write));
        Assert.Equal(payload, TestNodes.Read(bench.Node, 0, payload.Length));
    }

    [Fact]
    public void Flush_Succeeds()
    {
        using var bench = Bench();
        var flush = bench.Simple(TypeFlush);
        bench.ProcessUntilUsed(1);
        Assert.Equal(StatusOk, bench.Status(flush));
    }

    [Theory]
    [InlineData(20, "vhost-export-0")]
    [InlineData(8, "vhost-ex")]
    public void GetId_ReturnsTheSerialZeroPadded(int length, string expected)
    {
        using var bench = Bench();
        var id = bench.Simple(TypeGetId, inLength: length);
        bench.ProcessUntilUsed(1);
        Assert.Equal(StatusOk, bench.Status(id));
        Assert.Equal((uint)length + 1, bench.UsedLength(id));
        Assert.Equal(expected, System.Text.Encoding.ASCII.GetString(bench.Data(id, length)).TrimEnd('\0'));
    }

    [Theory]
    [InlineData(10u)]
    [InlineData(14u)]
    [InlineData(12345u)]
    public void UnknownTypes_AreUnsupported(uint type)
    {
        using var bench = Bench();
        var request = bench.Simple(type);
        bench.ProcessUntilUsed(1);
        Assert.Equal(StatusUnsupported, bench.Status(request));
    }

    [Fact]
    public void ReadOnlyDevice_RefusesChangesWithIoErrorAndKeepsTheData()
    {
        using var bench = Bench(writable: false);
        TestNodes.Write(bench.Node, 0, TestNodes.Pattern(4096, 1));
        var write = bench.Write(0, new byte[4096]);
        var discard = bench.Segments(TypeDiscard, (0, 8, 0));
        var zeroes = bench.Segments(TypeWriteZeroes, (0, 8, SegmentFlagUnmap));
        var read = bench.Read(0, 4096);
        bench.ProcessUntilUsed(4);
        Assert.Equal(StatusIoError, bench.Status(write));
        Assert.Equal(StatusIoError, bench.Status(discard));
        Assert.Equal(StatusIoError, bench.Status(zeroes));
        Assert.Equal(StatusOk, bench.Status(read));
        Assert.Equal(TestNodes.Pattern(4096, 1), bench.Data(read, 4096));
        Assert.NotEqual(0UL, bench.Device.Features & VirtioBlkFeatures.ReadOnly);
    }

    [Theory]
    [InlineData(2048UL, 512)]
    [InlineData(2047UL, 1024)]
    [InlineData(ulong.MaxValue, 512)]
    [InlineData(1UL << 55, 512)]
    public void RangesBeyondTheDisk_AreIoErrors(ulong sector, int length)
    {
        using var bench = Bench();
        var read = bench.Read(sector, length);
        var write = bench.Write(sector, new byte[length]);
        bench.ProcessUntilUsed(2);
        Assert.Equal(StatusIoError, bench.Status(read));
        Assert.Equal(StatusIoError, bench.Status(write));
        Assert.Equal(1u, bench.UsedLength(read));
    }

    [Theory]
    [InlineData(1UL, 4096)]
    [InlineData(8UL, 512)]
    public void RequestsNotInLogicalBlocks_AreIoErrors(ulong sector, int length)
    {
        using var bench = Bench(logicalBlockSize: 4096);
        var read = bench.Read(sector, length);
        bench.ProcessUntilUsed(1);
        Assert.Equal(StatusIoError, bench.Status(read));
    }

    [Fact]
    public void Discard_MakesTheRangeReadAsZeroes()
    {
        using var bench = Bench();
        TestNodes.Write(bench.Node, 0, TestNodes.Pattern(65536, 3));
        var discard = bench.Segments(TypeDiscard, (0, 16, 0), (64, 16, 0));
        bench.ProcessUntilUsed(1);
        Assert.Equal(StatusOk, bench.Status(discard));
        Assert.All(TestNodes.Read(bench.Node, 0, 8192), b => Assert.Equal(0, b));
        Assert.All(TestNodes.Read(bench.Node, 64 * 512, 8192), b => Assert.Equal(0, b));
        Assert.Equal(TestNodes.Pattern(65536, 3).AsSpan(8192, 4096).ToArray(), TestNodes.Read(bench.Node, 8192, 4096));
    }

    [Fact]
    public void WriteZeroes_WithAndWithoutUnmap_Zeroes()
    {
        using var bench = Bench();
        TestNodes.Write(bench.Node, 0, TestNodes.Pattern(65536, 4));
        var zeroes = bench.Segments(TypeWriteZeroes, (0, 8, SegmentFlagUnmap), (16, 8, 0));
        bench.ProcessUntilUsed(1);
        Assert.Equal(StatusOk, bench.Status(zeroes));
        Assert.All(TestNodes.Read(bench.Node, 0, 4096), b => Assert.Equal(0, b));
        Assert.All(TestNodes.Read(bench.Node, 16 * 512, 4096), b => Assert.Equal(0, b));
        Assert.NotEqual(new byte[4096], TestNodes.Read(bench.Node, 4096, 4096));
    }

    [Fact]
    public void DiscardAndWriteZeroes_OutsideTheirLimits_Fail()
    {
        using var bench = Bench();
        var unmapOnDiscard = bench.Segments(TypeDiscard, (0, 8, SegmentFlagUnmap));
        var unknownFlag = bench.Segments(TypeWriteZeroes, (0, 8, 2));
        var tooManySegments = bench.Segments(TypeDiscard, (0, 8, 0), (8, 8, 0), (16, 8, 0));
        var tooManySectors = bench.Segments(TypeDiscard, (0, 65, 0));
        var beyondTheDisk = bench.Segments(TypeWriteZeroes, (2040, 16, 0));
        bench.ProcessUntilUsed(5);
        Assert.Equal(StatusUnsupported, bench.Status(unmapOnDiscard));
        Assert.Equal(StatusUnsupported, bench.Status(unknownFlag));
        Assert.Equal(StatusUnsupported, bench.Status(tooManySegments));
        Assert.Equal(StatusIoError, bench.Status(tooManySectors));
        Assert.Equal(StatusIoError, bench.Status(beyondTheDisk));
    }

    [Fact]
    public void ShortHeader_IsAnIoError()
    {
        using var bench = Bench();
        ulong header = bench.Header(TypeIn, 0);
        ulong status = bench.StatusByte();
        bench.Vring.Post(new(header, 8, false), new(status, 1, true));
        bench.ProcessUntilUsed(1);
        Assert.Equal(StatusIoError, bench.Guest.At(status, 1)[0]);
    }

    [Fact]
    public void RequestWithoutAStatusBuffer_IsReturnedEmptyAndTheQueueGoesOn()
    {
        using var bench = Bench();
        ushort head = bench.Vring.Post(new TestBuffer(bench.Header(TypeFlush, 0), 16, false));
        var flush = bench.Simple(TypeFlush);
        bench.ProcessUntilUsed(2);
        Assert.Equal((head, 0u), (bench.Vring.Used(0).Id, bench.Vring.Used(0).Length));
        Assert.Equal(StatusOk, bench.Status(flush));
    }

    [Fact]
    public void LoopingChain_IsReturnedWithoutTouchingGuestMemory()
    {
        using var bench = Bench();
        ulong header = bench.Header(TypeIn, 0);
        ulong status = bench.StatusByte();
        var slots = bench.Vring.TakeDescriptors(2);
        bench.Vring.SetDescriptor(bench.Vring.DescriptorTable, slots[0], header, 16, TestVring.Next, slots[1]);
        bench.Vring.SetDescriptor(bench.Vring.DescriptorTable, slots[1], status, 1, TestVring.Next | TestVring.Write, slots[0]);
        bench.Vring.Publish(slots[0]);
        var after = bench.Simple(TypeFlush);
        bench.ProcessUntilUsed(2);
        Assert.Equal(0xff, bench.Guest.At(status, 1)[0]);
        Assert.Equal(0u, bench.Vring.Used(0).Length);
        Assert.Equal(StatusOk, bench.Status(after));
    }

    [Fact]
    public void DataOutsideGuestMemory_IsAnIoErrorInTheStatus()
    {
        using var bench = Bench();
        ulong header = bench.Header(TypeIn, 0);
        ulong status = bench.StatusByte();
        bench.Vring.Post(new(header, 16, false), new(0x1000, 4096, true), new(status, 1, true));
        bench.ProcessUntilUsed(1);
        Assert.Equal(StatusIoError, bench.Guest.At(status, 1)[0]);
        Assert.Equal(1u, bench.Vring.Used(0).Length);
    }

    [Fact]
    public void Writethrough_WritesEachPieceWithFua()
    {
        var (bench, driver) = ScriptedBench(writethrough: true);
        using (bench)
        {
            var write = bench.Write(0, TestNodes.Pattern(4096, 9), segments: 2);
            bench.ProcessUntilUsed(1);
            Assert.Equal(StatusOk, bench.Status(write));
            Assert.Equal(["write+fua", "write+fua"], driver.Durability);
        }
    }

    [Fact]
    public void Writethrough_DiscardAndWriteZeroesAreFlushed()
    {
        var (bench, driver) = ScriptedBench(writethrough: true);
        using (bench)
        {
            var discard = bench.Segments(TypeDiscard, (0, 8, 0));
            bench.ProcessUntilUsed(1);
            var zeroes = bench.Segments(TypeWriteZeroes, (8, 8, 0));
            bench.ProcessUntilUsed(2);
            Assert.Equal(StatusOk, bench.Status(discard));
            Assert.Equal(StatusOk, bench.Status(zeroes));
            Assert.Equal(["discard", "flush", "zero", "flush"], driver.Durability);
        }
    }

    /// <summary>The guest sees a writethrough request complete only once the node made it durable.</summary>
    [Theory]
    [InlineData(TypeOut)]
    [InlineData(TypeDiscard)]
    [InlineData(TypeWriteZeroes)]
    public void Writethrough_StatusWaitsForTheDurableStep(uint type)
    {
        var (bench, driver) = ScriptedBench(writethrough: true);
        using (bench)
        {
            driver.HoldDurable = true;
            var request = type == TypeOut ? bench.Write(0, TestNodes.Pattern(4096, 3)) : bench.Segments(type, (0, 8, 0));
            bench.Device.ProcessQueue(bench.Queue);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (driver.DurableWaiting == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "the durable step never reached the driver");
                Thread.Sleep(1);
            }

            Assert.Equal(0xff, bench.Status(request));
            Assert.Equal(0, bench.Vring.UsedIndex);

            driver.ReleaseDurable();
            bench.ProcessUntilUsed(1);
            Assert.Equal(StatusOk, bench.Status(request));
        }
    }

    [Fact]
    public void WithoutWritethrough_WritesAreNotFlushed()
    {
        var (bench, driver) = ScriptedBench();
        using (bench)
        {
            bench.Write(0, TestNodes.Pattern(4096, 9));
            bench.ProcessUntilUsed(1);
            Assert.Equal(["write"], driver.Durability);
        }
    }

    [Fact]
    public void NodeFailure_IsAnIoError()
    {
        var (bench, driver) = ScriptedBench();
        using (bench)
        {
            driver.FailReadsFrom = 4096;
            var failing = bench.Read(8, 4096);
            var fine = bench.Read(0, 4096);
            bench.ProcessUntilUsed(2);
            Assert.Equal(StatusIoError, bench.Status(failing));
            Assert.Equal(StatusOk, bench.Status(fine));
        }
    }

    [Fact]
    public void SlowRequest_DoesNotHoldUpTheOthers()
    {
        var (bench, driver) = ScriptedBench();
        using (bench)
        {
            driver.SlowOffset = 8192;
            var slow = bench.Read(16, 4096);
            var fast = bench.Read(0, 4096);
            bench.ProcessUntilUsed(1);
            Assert.Equal(fast.Head, bench.Vring.Used(0).Id);
            Assert.Equal(0xff, bench.Status(slow));
            Assert.Equal(1, bench.Queue.InFlight);

            driver.ReleaseSlowRead();
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (bench.Vring.UsedIndex != 2)
            {
                Assert.True(DateTime.UtcNow < deadline);
                Thread.Sleep(1);
            }

            Assert.Equal(StatusOk, bench.Status(slow));
            Assert.Equal(2UL, bench.Queue.Call!.Consume());
        }
    }

    [Fact]
    public void Config_DescribesTheDisk()
    {
        var options = new VirtioBlkOptions { LogicalBlockSize = 4096, NumQueues = 2, Writable = true };
        var device = new VirtioBlkDevice(TestNodes.Memory(DiskSize), options);
        var config = device.ReadConfig(0, VirtioBlkConfig.Length)!;
        Assert.Equal((ulong)DiskSize / 512, BinaryPrimitives.ReadUInt64LittleEndian(config));
        Assert.Equal(options.SizeMax, BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(VirtioBlkConfig.SizeMaxOffset)));
        Assert.Equal(options.SegMax, BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(VirtioBlkConfig.SegMaxOffset)));
        Assert.Equal(4096u, BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(VirtioBlkConfig.BlkSizeOffset)));
        Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(config.AsSpan(VirtioBlkConfig.NumQueuesOffset)));
        Assert.Equal(32768u, BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(VirtioBlkConfig.MaxDiscardSectorsOffset)));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(VirtioBlkConfig.MaxDiscardSegOffset)));
        Assert.Equal(8u, BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(VirtioBlkConfig.DiscardSectorAlignmentOffset)));
        Assert.Equal(32768u, BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(VirtioBlkConfig.MaxWriteZeroesSectorsOffset)));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(VirtioBlkConfig.MaxWriteZeroesSegOffset)));
        Assert.Equal(1, config[VirtioBlkConfig.WriteZeroesMayUnmapOffset]);

        Assert.Equal(config.AsSpan(34, 2).ToArray(), device.ReadConfig(34, 2));
        Assert.Equal(new byte[40], device.ReadConfig(VirtioBlkConfig.Length, 40));
        Assert.Null(device.ReadConfig(250, 7));
        Assert.Null(device.ReadConfig(uint.MaxValue, 1));

        const ulong expected = VirtioFeatures.Version1 | VirtioFeatures.RingIndirectDesc | VirtioFeatures.RingEventIdx
            | VirtioBlkFeatures.SizeMax | VirtioBlkFeatures.SegMax | VirtioBlkFeatures.BlkSize | VirtioBlkFeatures.Topology
            | VirtioBlkFeatures.Flush | VirtioBlkFeatures.Mq | VirtioBlkFeatures.Discard | VirtioBlkFeatures.WriteZeroes;
        Assert.Equal(expected, device.Features);
    }

    [Fact]
    public void ManyRequestsWithEventIdx_AllCompleteWithFewerCalls()
    {
        using var bench = new VirtioBlkBench(TestNodes.Memory(DiskSize), new VirtioBlkOptions { Writable = true }, eventIdx: true);
        bench.Vring.SetUsedEvent(3);
        var reads = Enumerable.Range(0, 4).Select(i => bench.Read((ulong)i * 8, 4096, indirect: true)).ToArray();
        bench.ProcessUntilUsed(4);
        Assert.All(reads, r => Assert.Equal(StatusOk, bench.Status(r)));
        Assert.Equal(4, bench.Vring.AvailEvent);

        // The first completion after the start always calls; then only the one that moves the used index past 3.
        Assert.Equal(2UL, bench.Queue.Call!.Consume());
    }
}
