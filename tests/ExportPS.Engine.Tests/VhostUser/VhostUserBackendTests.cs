using ExportPS.Engine.Tests.Block;
using ExportPS.Engine.VhostUser;
using ExportPS.Engine.VhostUser.Blk;
using Microsoft.Win32.SafeHandles;
using Xunit;
using static ExportPS.Engine.VhostUser.Blk.VirtioBlkProtocol;

namespace ExportPS.Engine.Tests.VhostUser;

/// <summary>
/// The back-end driven as a front-end would drive it, message by message, each one encoded and parsed again so the
/// bytes the codec writes are the bytes the back-end reads. Guest memory is a memfd; the vring and requests are the test
/// driver's.
/// </summary>
public sealed class VhostUserBackendTests : IDisposable
{
    private const ulong NegotiatedFeatures = VirtioFeatures.Version1 | VirtioFeatures.RingIndirectDesc
        | VirtioFeatures.RingEventIdx | VirtioFeatures.ProtocolFeatures | VirtioBlkFeatures.Flush;

    private readonly TestGuest _guest = new(4 << 20, regionCount: 2);
    private readonly VirtioBlkDevice _device = new(TestNodes.Memory(1 << 20), new VirtioBlkOptions { Writable = true, NumQueues = 2 });
    private readonly VhostUserBackend _backend;

    public VhostUserBackendTests() => _backend = new VhostUserBackend(_device);

    public void Dispose()
    {
        _backend.Dispose();
        _guest.Dispose();
    }

    private VhostUserOutcome Send(VhostUserRequest request, VhostUserPayload payload, bool needReply = false, params SafeFileHandle[] fds)
    {
        var flags = VhostUserFlags.Version1 | (needReply ? VhostUserFlags.NeedReply : 0);
        var bytes = new byte[VhostUserCodec.EncodedLength(payload)];
        VhostUserCodec.Encode(new VhostUserHeader(request, flags, 0), payload, bytes);
        var message = VhostUserCodec.Parse(VhostUserCodec.ParseHeader(bytes), bytes.AsSpan(VhostUserHeader.Length), fds);
        return _backend.HandleAsync(message).AsTask().WaitAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
    }

    private VhostUserOutcome Succeeds(VhostUserRequest request, VhostUserPayload payload, params SafeFileHandle[] fds)
    {
        var outcome = Send(request, payload, false, fds);
        Assert.Null(outcome.Error);
        return outcome;
    }

    private ulong Get(VhostUserRequest request)
    {
        var outcome = Succeeds(request, EmptyPayload.Instance);
        Assert.Equal(request, outcome.Reply!.Request);
        return Assert.IsType<U64Payload>(outcome.Reply.Payload).Value;
    }

    /// <summary>Another descriptor of the guest memfd, as a front-end passes one per region.</summary>
    private SafeFileHandle MemoryFd() =>
        File.OpenHandle($"/proc/self/fd/{_guest.Fd.DangerousGetHandle()}", FileMode.Open, FileAccess.ReadWrite);

    private void Negotiate()
    {
        Assert.Equal(_device.Features | VirtioFeatures.ProtocolFeatures, Get(VhostUserRequest.GetFeatures));
        Succeeds(VhostUserRequest.SetFeatures, new U64Payload(NegotiatedFeatures));
        Assert.Equal((ulong)VhostUserBackend.OfferedProtocolFeatures, Get(VhostUserRequest.GetProtocolFeatures));
        Succeeds(VhostUserRequest.SetProtocolFeatures, new U64Payload((ulong)(VhostUserProtocolFeatures.ReplyAck | VhostUserProtocolFeatures.Config)));
        Succeeds(VhostUserRequest.SetOwner, EmptyPayload.Instance);
        Succeeds(VhostUserRequest.SetMemTable, new MemoryTablePayload(_guest.Descriptions), MemoryFd(), MemoryFd());
    }

    /// <summary>Configures and starts a vring; the call eventfd passes to the back-end, the test reads it through the queue.</summary>
    private (TestVring Vring, EventFd Call) StartRing(uint index = 0, bool enable = true)
    {
        var vring = new TestVring(_guest, 16);
        Succeeds(VhostUserRequest.SetVringNum, new VringStatePayload(index, 16));
        Succeeds(VhostUserRequest.SetVringAddr, vring.Addresses() with { Index = index });
        Succeeds(VhostUserRequest.SetVringBase, new VringStatePayload(index, 0));
        Succeeds(VhostUserRequest.SetVringCall, new VringFdPayload(index, false), EventFd.Create().Handle);
        Assert.Equal(1UL, _backend.Queues[(int)index].Call!.Consume()); // the call every new call eventfd gets
        Succeeds(VhostUserRequest.SetVringKick, new VringFdPayload(index, false), EventFd.Create().Handle);
        if (enable)
        {
            Succeeds(VhostUserRequest.SetVringEnable, new VringStatePayload(index, 1));
        }

        return (vring, _backend.Queues[(int)index].Call!);
    }

    private ulong PostFlush(TestVring vring) => PostFlush(vring, out _);

    private ulong PostFlush(TestVring vring, out ushort head)
    {
        ulong header = _guest.Allocate(16);
        BitConverter.TryWriteBytes(_guest.At(header, 4), TypeFlush);
        ulong status = _guest.Allocate(1);
        _guest.At(status, 1)[0] = 0xff;
        head = vring.Post(new(header, 16, false), new(status, 1, true));
        return status;
    }

    /// <summary>GET_INFLIGHT_FD for the two queues of 16 entries; the test reads and writes the area through the fd.</summary>
    private SafeFileHandle GetInflightFd()
    {
        var reply = Succeeds(VhostUserRequest.GetInflightFd, new InflightPayload(0, 0, 2, 16)).Reply!;
        Assert.Equal(new InflightPayload(2 * InflightArea.QueuePartLength(16), 0, 2, 16), reply.Payload);
        return reply.Fd!;
    }

    private static ushort ReadU16(SafeFileHandle area, long offset)
    {
        var bytes = new byte[2];
        RandomAccess.Read(area, bytes, offset);
        return BitConverter.ToUInt16(bytes);
    }

    private static void WriteU16(SafeFileHandle area, long offset, ushort value) => RandomAccess.Write(area, BitConverter.GetBytes(value), offset);

    /// <summary>Queue 0's descriptor state of <paramref name="head"/>: its mark and counter.</summary>
    private static (byte Inflight, ulong Counter) ReadState(SafeFileHandle area, ushort head)
    {
        var bytes = new byte[InflightArea.DescriptorStateLength];
        RandomAccess.Read(area, bytes, InflightArea.HeaderLength + (InflightArea.DescriptorStateLength * head));
        return (bytes[0], BitConverter.ToUInt64(bytes, 8));
    }

    private static void WriteState(SafeFileHandle area, ushort head, byte inflight, ulong counter)
    {
        var bytes = new byte[InflightArea.DescriptorStateLength];
        bytes[0] = inflight;
        BitConverter.TryWriteBytes(bytes.AsSpan(8), counter);
        RandomAccess.Write(area, bytes, InflightArea.HeaderLength + (InflightArea.DescriptorStateLength * head));
    }

    [Fact]
    public void InflightArea_TracksACompletedRequest()
    {
        Negotiate();
        using var area = GetInflightFd();
        Assert.Equal((ushort)16, ReadU16(area, 10));
        Assert.Equal((ushort)16, ReadU16(area, (long)InflightArea.QueuePartLength(16) + 10));
        var (vring, _) = StartRing();
        Assert.Equal((ushort)1, ReadU16(area, 8));

        ulong status = PostFlush(vring, out ushort head);
        _device.ProcessQueue(_backend.Queues[0]);
        Assert.Equal(StatusOk, _guest.At(status, 1)[0]);
        Assert.Equal((ushort)1, ReadU16(area, 14));
        Assert.Equal(head, ReadU16(area, 12));
        Assert.Equal(((byte)0, 0UL), ReadState(area, head));
    }

    /// <summary>
    /// The area as a back-end left it: four requests taken, the first completed, the second published but cut before
    /// its mark was cleared, the last two still marked (the fourth taken first).
    /// </summary>
    [Fact]
    public void InflightArea_OnRingStart_RepairsACutCompletionAndResubmitsOldestFirst()
    {
        Negotiate();
        using var area = GetInflightFd();
        var vring = new TestVring(_guest, 16);
        var heads = new ushort[4];
        var statuses = new ulong[4];
        for (int i = 0; i < 4; i++)
        {
            statuses[i] = PostFlush(vring, out heads[i]);
        }

        for (int i = 0; i < 2; i++)
        {
            BitConverter.TryWriteBytes(_guest.At(vring.UsedRing + 4 + (ulong)(8 * i), 4), (uint)heads[i]);
        }

        BitConverter.TryWriteBytes(_guest.At(vring.UsedRing + 2, 2), (ushort)2);
        WriteU16(area, 8, 1);
        WriteU16(area, 12, heads[1]);
        WriteU16(area, 14, 1);
        WriteState(area, heads[1], 1, 1);
        WriteState(area, heads[2], 1, 3);
        WriteState(area, heads[3], 1, 2);

        Succeeds(VhostUserRequest.SetVringNum, new VringStatePayload(0, 16));
        Succeeds(VhostUserRequest.SetVringAddr, vring.Addresses());
        Succeeds(VhostUserRequest.SetVringBase, new VringStatePayload(0, 2));
        Succeeds(VhostUserRequest.SetVringCall, new VringFdPayload(0, false), EventFd.Create().Handle);
        Succeeds(VhostUserRequest.SetVringKick, new VringFdPayload(0, false), EventFd.Create().Handle);
        Succeeds(VhostUserRequest.SetVringEnable, new VringStatePayload(0, 1));
        var queue = _backend.Queues[0];
        Assert.Equal(2, queue.Resubmitting);
        Assert.Equal((ushort)4, queue.LastAvailIndex);
        Assert.Equal(0, ReadState(area, heads[1]).Inflight);
        Assert.Equal((ushort)2, ReadU16(area, 14));
        Assert.Equal(1UL, queue.Kick!.Consume());

        _device.ProcessQueue(queue);
        Assert.Equal(4, vring.UsedIndex);
        Assert.Equal(heads[3], vring.Used(2).Id);
        Assert.Equal(heads[2], vring.Used(3).Id);
        Assert.Equal(StatusOk, _guest.At(statuses[2], 1)[0]);
        Assert.Equal(StatusOk, _guest.At(statuses[3], 1)[0]);
        Assert.All(heads, h => Assert.Equal(0, ReadState(area, h).Inflight));
        Assert.Equal((ushort)4, ReadU16(area, 14));
    }

    [Fact]
    public void SetVringCall_WithADescriptorThatTakesNoSignal_IsRefused()
    {
        Negotiate();
        var readOnly = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Read);
        var outcome = Send(VhostUserRequest.SetVringCall, new VringFdPayload(0, false), false, readOnly);
        Assert.StartsWith("vring 0: the call descriptor cannot be signalled", outcome.Error);
    }

    [Fact]
    public void Handshake_ThenRequestsOnTheRing_Complete()
    {
        Negotiate();
        Assert.Equal(2UL, Get(VhostUserRequest.GetQueueNum));
        var (vring, call) = StartRing();
        var queue = _backend.Queues[0];
        Assert.True(queue.Started && queue.Enabled && queue.EventIdx && queue.IndirectDescriptors);
        Assert.NotNull(queue.Kick);

        ulong status = PostFlush(vring);
        _device.ProcessQueue(queue);
        Assert.Equal(StatusOk, _guest.At(status, 1)[0]);
        Assert.Equal(1, vring.UsedIndex);
        Assert.Equal(1UL, call.Consume());

        var outcome = Succeeds(VhostUserRequest.GetVringBase, new VringStatePayload(0, 0));
        Assert.Equal(new VringStatePayload(0, 1), outcome.Reply!.Payload);
        Assert.False(queue.Started);
        Assert.Null(queue.Kick);
    }

    [Fact]
    public void WithProtocolFeatures_RingsWaitForEnable()
    {
        Negotiate();
        var (vring, _) = StartRing(enable: false);
        ulong status = PostFlush(vring);
        _device.ProcessQueue(_backend.Queues[0]);
        Assert.Equal(0xff, _guest.At(status, 1)[0]);

        Succeeds(VhostUserRequest.SetVringEnable, new VringStatePayload(0, 1));
        _device.ProcessQueue(_backend.Queues[0]);
        Assert.Equal(StatusOk, _guest.At(status, 1)[0]);
    }

    [Fact]
    public void WithoutProtocolFeatures_TheKickEnablesTheRing()
    {
        Succeeds(VhostUserRequest.SetFeatures, new U64Payload(VirtioFeatures.Version1));
        Succeeds(VhostUserRequest.SetMemTable, new MemoryTablePayload(_guest.Descriptions), MemoryFd(), MemoryFd());
        StartRing(enable: false);
        Assert.True(_backend.Queues[0].Enabled);
        Assert.False(_backend.Queues[0].EventIdx);
    }

    [Fact]
    public void ReplyAck_ReportsSuccessAndFailure()
    {
        Negotiate();
        var good = Send(VhostUserRequest.SetVringNum, new VringStatePayload(1, 256), needReply: true);
        Assert.Equal(new U64Payload(0), good.Reply!.Payload);
        Assert.False(good.Failed);

        var bad = Send(VhostUserRequest.SetVringNum, new VringStatePayload(1, 100), needReply: true);
        Assert.Equal(new U64Payload(1), bad.Reply!.Payload);
        Assert.True(bad.Failed && bad.FailureReported);

        var noSuchRing = Send(VhostUserRequest.SetVringNum, new VringStatePayload(2, 16));
        Assert.Null(noSuchRing.Reply);
        Assert.True(noSuchRing.Failed);
        Assert.False(noSuchRing.FailureReported);
    }

    [Fact]
    public void UnofferedFeatures_AreRefused()
    {
        Assert.True(Send(VhostUserRequest.SetFeatures, new U64Payload(1UL << 40)).Failed);
        Assert.True(Send(VhostUserRequest.SetProtocolFeatures, new U64Payload((ulong)VhostUserProtocolFeatures.LogShmfd)).Failed);
        Assert.True(Send(VhostUserRequest.SetVringAddr, new VringAddressPayload(0, VringAddressPayload.LogFlag, 0, 0, 0, 0)).Failed);
        Assert.True(Send(VhostUserRequest.SetVringKick, new VringFdPayload(0, true)).Failed);
        Assert.True(Send(VhostUserRequest.SetConfig, new ConfigPayload(32, 0, [1])).Failed);
    }

    [Fact]
    public void GetConfig_ReturnsTheDevicesConfigWindow()
    {
        var outcome = Succeeds(VhostUserRequest.GetConfig, new ConfigPayload(0, 0, new byte[VirtioBlkConfig.Length]));
        var config = Assert.IsType<ConfigPayload>(outcome.Reply!.Payload);
        Assert.Equal(_device.ReadConfig(0, VirtioBlkConfig.Length), config.Data);

        var beyond = Send(VhostUserRequest.GetConfig, new ConfigPayload(200, 0, new byte[100]));
        Assert.True(beyond.Failed && beyond.FailureReported);
        Assert.Empty(Assert.IsType<ConfigPayload>(beyond.Reply!.Payload).Data);
    }

    [Fact]
    public void StatusAndMemorySlots_AreReported()
    {
        Succeeds(VhostUserRequest.SetStatus, new U64Payload(0xf));
        Assert.Equal(0xfUL, Get(VhostUserRequest.GetStatus));
        Assert.Equal((ulong)GuestMemory.MaxSlots, Get(VhostUserRequest.GetMaxMemSlots));
    }

    [Fact]
    public void AddAndRemoveRegions_ChangeTheMemoryTheRingsUse()
    {
        Succeeds(VhostUserRequest.SetFeatures, new U64Payload(NegotiatedFeatures));
        Succeeds(VhostUserRequest.AddMemReg, new MemoryRegionPayload(_guest.Descriptions[0]), MemoryFd());
        Succeeds(VhostUserRequest.AddMemReg, new MemoryRegionPayload(_guest.Descriptions[1]), MemoryFd());
        Assert.Equal(2, _backend.Memory.Regions.Count);
        Assert.True(Send(VhostUserRequest.AddMemReg, new MemoryRegionPayload(_guest.Descriptions[1]), false, MemoryFd()).Failed);

        var (vring, _) = StartRing();
        Assert.True(_backend.Queues[0].Started);

        // The rings live in the first region: removing the second leaves them running, removing the first breaks them.
        Succeeds(VhostUserRequest.RemMemReg, new MemoryRegionPayload(_guest.Descriptions[1]));
        Assert.True(_backend.Queues[0].Started);
        Succeeds(VhostUserRequest.RemMemReg, new MemoryRegionPayload(_guest.Descriptions[0]));
        Assert.NotNull(_backend.Queues[0].BrokenReason);
        Assert.Empty(_backend.Memory.Regions);
        Assert.True(Send(VhostUserRequest.RemMemReg, new MemoryRegionPayload(_guest.Descriptions[0])).Failed);

        ulong status = PostFlush(vring);
        _device.ProcessQueue(_backend.Queues[0]);
        Assert.Equal(0xff, _guest.At(status, 1)[0]);
    }

    [Fact]
    public void MemoryTableWithOverlappingRegions_IsRefusedAndTheOldOneKept()
    {
        Negotiate();
        var before = _backend.Memory;
        var overlapping = new MemoryTablePayload([_guest.Descriptions[0], _guest.Descriptions[0] with { UserAddress = 0x1000 }]);
        Assert.True(Send(VhostUserRequest.SetMemTable, overlapping, false, MemoryFd(), MemoryFd()).Failed);
        Assert.Same(before, _backend.Memory);
    }

    [Fact]
    public void ResetDevice_StopsAndForgetsTheRings()
    {
        Negotiate();
        StartRing();
        Succeeds(VhostUserRequest.SetStatus, new U64Payload(0xf));
        Succeeds(VhostUserRequest.ResetDevice, EmptyPayload.Instance);
        var queue = _backend.Queues[0];
        Assert.False(queue.Started);
        Assert.Equal(0, queue.Size);
        Assert.Null(queue.Kick);
        Assert.True(queue.EventIdx);
        Assert.Equal(0UL, Get(VhostUserRequest.GetStatus));
    }
}
