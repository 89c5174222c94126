using ExportPS.Engine.VhostUser;
using Xunit;
using static ExportPS.Engine.Tests.VhostUser.TestVring;

namespace ExportPS.Engine.Tests.VhostUser;

public sealed class SplitVirtqueueTests : IDisposable
{
    private readonly TestGuest _guest = new(4 << 20, regionCount: 2);
    private readonly TestVring _vring;

    public SplitVirtqueueTests() => _vring = new TestVring(_guest, 8);

    public void Dispose() => _guest.Dispose();

    private SplitVirtqueue Queue(bool eventIdx = false, bool indirect = true)
    {
        var queue = _vring.CreateQueue(eventIdx, indirect);
        queue.SetCall(EventFd.Create());
        Assert.Equal(1UL, queue.Call!.Consume()); // the call that comes with every new call eventfd
        return queue;
    }

    private static DescriptorChain Pop(SplitVirtqueue queue)
    {
        var chain = new DescriptorChain();
        Assert.True(queue.TryPop(chain));
        return chain;
    }

    [Fact]
    public void DirectChain_IsSplitIntoReadableAndWritableBuffers()
    {
        using var queue = Queue();
        ulong header = _guest.Allocate(16);
        ulong data = _guest.Allocate(4096);
        ulong status = _guest.Allocate(1);
        _guest.At(header, 16).Fill(0x33);
        ushort head = _vring.Post(new TestBuffer(header, 16, false), new(data, 4096, true), new(status, 1, true));

        var chain = Pop(queue);
        Assert.Equal(head, chain.Head);
        Assert.Equal(DescriptorChainFault.None, chain.Fault);
        Assert.Equal(16, chain.ReadableLength);
        Assert.Equal(4097, chain.WritableLength);
        Assert.True(chain.EndsInMappedWritable);
        Assert.All(chain.Readable[0].ToArray(), b => Assert.Equal(0x33, b));
        Assert.False(queue.TryPop(new DescriptorChain()));

        GuestPieces.CopyIn(chain.Writable, 4096, [0x7e]);
        Assert.Equal(1, queue.InFlight);
        queue.Complete(chain, 4097);
        Assert.Equal(0x7e, _guest.At(status, 1)[0]);
        Assert.Equal(1, _vring.UsedIndex);
        Assert.Equal(((uint)head, 4097u), _vring.Used(0));
        Assert.Equal(1UL, queue.Call!.Consume());
        Assert.Equal(0, queue.InFlight);
    }

    [Fact]
    public void IndirectChain_IsReadFromItsTable()
    {
        using var queue = Queue();
        ulong header = _guest.Allocate(16);
        ulong data = _guest.Allocate(512);
        ulong status = _guest.Allocate(1);
        ushort head = _vring.PostIndirect(new TestBuffer(header, 16, false), new(data, 512, false), new(status, 1, true));

        var chain = Pop(queue);
        Assert.Equal(head, chain.Head);
        Assert.Equal(DescriptorChainFault.None, chain.Fault);
        Assert.Equal((528L, 1L), (chain.ReadableLength, chain.WritableLength));
        Assert.Equal(2, chain.Readable.Count);
        Assert.True(chain.EndsInMappedWritable);
    }

    [Fact]
    public void BufferAcrossRegions_IsOneBufferOfTwoPieces()
    {
        using var queue = Queue();
        ulong boundary = TestGuest.GuestBase + (2 << 20);
        _vring.Post(new TestBuffer(boundary - 100, 200, true));
        var chain = Pop(queue);
        Assert.Equal(DescriptorChainFault.None, chain.Fault);
        Assert.Equal(200, chain.WritableLength);
        Assert.Equal([100, 100], chain.Writable.Select(p => p.Length));
    }

    [Fact]
    public void Loop_FailsTheChainWithoutAStatus()
    {
        using var queue = Queue();
        ulong buffer = _guest.Allocate(16);
        var slots = _vring.TakeDescriptors(2);
        _vring.SetDescriptor(_vring.DescriptorTable, slots[0], buffer, 16, Next | Write, slots[1]);
        _vring.SetDescriptor(_vring.DescriptorTable, slots[1], buffer, 16, Next | Write, slots[0]);
        _vring.Publish(slots[0]);

        var chain = Pop(queue);
        Assert.Equal(DescriptorChainFault.Loop, chain.Fault);
        Assert.False(chain.EndsInMappedWritable);
    }

    [Fact]
    public void LoopInsideAnIndirectTable_FailsTheChain()
    {
        using var queue = Queue();
        ulong buffer = _guest.Allocate(16);
        ulong table = _guest.Allocate(32);
        _vring.SetDescriptor(table, 0, buffer, 16, Next, 1);
        _vring.SetDescriptor(table, 1, buffer, 16, Next, 0);
        ushort head = _vring.TakeDescriptors(1)[0];
        _vring.SetDescriptor(_vring.DescriptorTable, head, table, 32, Indirect, 0);
        _vring.Publish(head);

        Assert.Equal(DescriptorChainFault.Loop, Pop(queue).Fault);
    }

    [Fact]
    public void NextBeyondTheTable_FailsTheChain()
    {
        using var queue = Queue();
        ushort head = _vring.TakeDescriptors(1)[0];
        _vring.SetDescriptor(_vring.DescriptorTable, head, _guest.Allocate(16), 16, Next, 8);
        _vring.Publish(head);
        Assert.Equal(DescriptorChainFault.NextOutOfRange, Pop(queue).Fault);
    }

    [Fact]
    public void IndirectInsideIndirect_FailsTheChain()
    {
        using var queue = Queue();
        ulong inner = _guest.Allocate(16);
        _vring.SetDescriptor(inner, 0, _guest.Allocate(1), 1, Write, 0);
        ulong outer = _guest.Allocate(16);
        _vring.SetDescriptor(outer, 0, inner, 16, Indirect, 0);
        ushort head = _vring.TakeDescriptors(1)[0];
        _vring.SetDescriptor(_vring.DescriptorTable, head, outer, 16, Indirect, 0);
        _vring.Publish(head);
        Assert.Equal(DescriptorChainFault.NestedIndirect, Pop(queue).Fault);
    }

    [Fact]
    public void IndirectWithoutTheFeature_FailsTheChain()
    {
        using var queue = Queue(indirect: false);
        _vring.PostIndirect(new TestBuffer(_guest.Allocate(1), 1, true));
        Assert.Equal(DescriptorChainFault.IndirectNotNegotiated, Pop(queue).Fault);
    }

    [Fact]
    public void IndirectWithNext_FailsTheChain()
    {
        using var queue = Queue();
        ulong table = _guest.Allocate(16);
        _vring.SetDescriptor(table, 0, _guest.Allocate(1), 1, Write, 0);
        var slots = _vring.TakeDescriptors(2);
        _vring.SetDescriptor(_vring.DescriptorTable, slots[0], table, 16, Indirect | Next, slots[1]);
        _vring.SetDescriptor(_vring.DescriptorTable, slots[1], _guest.Allocate(1), 1, Write, 0);
        _vring.Publish(slots[0]);
        Assert.Equal(DescriptorChainFault.MisplacedIndirect, Pop(queue).Fault);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(24u)]
    public void IndirectTableOfBadLength_FailsTheChain(uint length)
    {
        using var queue = Queue();
        ushort head = _vring.TakeDescriptors(1)[0];
        _vring.SetDescriptor(_vring.DescriptorTable, head, _guest.Allocate(32), length, Indirect, 0);
        _vring.Publish(head);
        Assert.Equal(DescriptorChainFault.BadIndirectTable, Pop(queue).Fault);
    }

    [Fact]
    public void IndirectTableOutsideMemory_FailsTheChain()
    {
        using var queue = Queue();
        ushort head = _vring.TakeDescriptors(1)[0];
        _vring.SetDescriptor(_vring.DescriptorTable, head, 0x1000, 32, Indirect, 0);
        _vring.Publish(head);
        var chain = Pop(queue);
        Assert.Equal(DescriptorChainFault.AddressOutsideMemory, chain.Fault);
        Assert.False(chain.EndsInMappedWritable);
    }

    [Fact]
    public void DataBufferOutsideMemory_KeepsTheStatusReachable()
    {
        using var queue = Queue();
        ulong status = _guest.Allocate(1);
        _vring.Post(new TestBuffer(_guest.Allocate(16), 16, false), new(TestGuest.GuestBase + (4 << 20) - 10, 4096, true), new(status, 1, true));
        var chain = Pop(queue);
        Assert.Equal(DescriptorChainFault.AddressOutsideMemory, chain.Fault);
        Assert.True(chain.EndsInMappedWritable);
        Assert.Equal(1, chain.WritableLength);
    }

    [Fact]
    public void ReadableAfterWritable_FailsTheChain()
    {
        using var queue = Queue();
        _vring.Post(new TestBuffer(_guest.Allocate(1), 1, true), new(_guest.Allocate(16), 16, false), new(_guest.Allocate(1), 1, true));
        Assert.Equal(DescriptorChainFault.ReadableAfterWritable, Pop(queue).Fault);
    }

    [Fact]
    public void AvailableIndexTooFarAhead_BreaksTheQueue()
    {
        using var queue = Queue();
        _vring.SetAvailableIndex(9);
        Assert.False(queue.TryPop(new DescriptorChain()));
        Assert.NotNull(queue.BrokenReason);
        Assert.False(queue.Started);
    }

    [Fact]
    public void HeadBeyondTheTable_BreaksTheQueue()
    {
        using var queue = Queue();
        _vring.Publish(8);
        Assert.False(queue.TryPop(new DescriptorChain()));
        Assert.Contains("beyond", queue.BrokenReason);
    }

    [Fact]
    public void DisabledQueue_TakesNothing()
    {
        using var queue = Queue();
        queue.Enabled = false;
        _vring.Post(new TestBuffer(_guest.Allocate(1), 1, true));
        Assert.False(queue.TryPop(new DescriptorChain()));
        queue.Enabled = true;
        Assert.True(queue.TryPop(new DescriptorChain()));
    }

    [Fact]
    public void NoInterruptFlag_SuppressesCallsWithoutEventIdx()
    {
        using var queue = Queue();
        _vring.SetNoInterrupt(true);
        _vring.Post(new TestBuffer(_guest.Allocate(1), 1, true));
        queue.Complete(Pop(queue), 1);
        Assert.Equal(0UL, queue.Call!.Consume());

        _vring.SetNoInterrupt(false);
        _vring.Post(new TestBuffer(_guest.Allocate(1), 1, true));
        queue.Complete(Pop(queue), 1);
        Assert.Equal(1UL, queue.Call!.Consume());
    }

    [Fact]
    public void EventIdx_CallsOnlyWhenTheUsedIndexPassesUsedEvent()
    {
        using var queue = Queue(eventIdx: true);
        for (int i = 0; i < 4; i++)
        {
            _vring.Post(new TestBuffer(_guest.Allocate(1), 1, true));
        }

        var chains = Enumerable.Range(0, 4).Select(_ => Pop(queue)).ToArray();
        Assert.Equal(4, _vring.AvailEvent);

        // The driver wants a call once entry 2 (the third) is used.
        _vring.SetUsedEvent(2);
        queue.Complete(chains[0], 1);
        Assert.Equal(1UL, queue.Call!.Consume());
        queue.Complete(chains[1], 1);
        Assert.Equal(0UL, queue.Call.Consume());
        queue.Complete(chains[2], 1);
        Assert.Equal(1UL, queue.Call.Consume());
        queue.Complete(chains[3], 1);
        Assert.Equal(0UL, queue.Call.Consume());
        Assert.Equal(4, _vring.UsedIndex);
    }

    /// <summary>
    /// A completion published before the front-end's call eventfd arrived (QEMU sends it after the kick that starts the
    /// ring) reaches the driver when it arrives, and the driver's next used_event is honoured after it.
    /// </summary>
    [Fact]
    public void EventIdx_ACompletionBeforeTheCallEventfdIsSignalledWhenItArrives()
    {
        using var queue = _vring.CreateQueue(eventIdx: true, indirect: true);
        _vring.Post(new TestBuffer(_guest.Allocate(1), 1, true));
        _vring.Post(new TestBuffer(_guest.Allocate(1), 1, true));
        var first = Pop(queue);
        var second = Pop(queue);

        _vring.SetUsedEvent(0);
        queue.Complete(first, 1); // no call eventfd yet: nobody to tell
        var call = EventFd.Create();
        queue.SetCall(call);
        Assert.Equal(1UL, call.Consume());

        // The driver took entry 0 and wants a call for the next.
        _vring.SetUsedEvent(1);
        queue.Complete(second, 1);
        Assert.Equal(1UL, call.Consume());
    }

    [Fact]
    public void ACallDescriptorThatIsNoEventfdIsRefused()
    {
        using var queue = _vring.CreateQueue(eventIdx: false, indirect: true);
        var readOnly = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Read);
        Assert.Throws<IOException>(() => queue.SetCall(new EventFd(readOnly)));
    }

    [Fact]
    public void EnableNotification_ReportsRequestsThatArrivedMeanwhile()
    {
        using var queue = Queue(eventIdx: true);
        Assert.False(queue.EnableNotification());
        _vring.Post(new TestBuffer(_guest.Allocate(1), 1, true));
        Assert.True(queue.EnableNotification());
        Pop(queue);
        Assert.False(queue.EnableNotification());
        Assert.Equal(1, _vring.AvailEvent);
    }

    [Fact]
    public async Task Stop_WaitsForRequestsInFlightAndReportsTheBase()
    {
        using var queue = Queue();
        _vring.Post(new TestBuffer(_guest.Allocate(1), 1, true));
        _vring.Post(new TestBuffer(_guest.Allocate(1), 1, true));
        var first = Pop(queue);
        var stopped = queue.StopAsync();
        Assert.False(stopped.IsCompleted);
        Assert.False(queue.TryPop(new DescriptorChain()));

        queue.Complete(first, 1);
        Assert.Equal(1, await stopped.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, _vring.UsedIndex);

        // Resumed at the base GET_VRING_BASE reported, the second request is still there.
        queue.LastAvailIndex = 1;
        Assert.True(queue.TryStart(_guest.Memory, out _));
        Assert.Equal(1, Pop(queue).Head);
    }

    /// <summary>
    /// A guest write begun for an owned chain holds off the abandonment until it ends; after the abandonment no write
    /// begins for that chain, while a chain taken after the ring restarted writes as usual.
    /// </summary>
    [Fact]
    public async Task Abandonment_WaitsForAGuestWriteBegun_AndNoneBeginsAfterIt()
    {
        using var queue = Queue();
        ulong status = _guest.Allocate(1);
        _vring.Post(new TestBuffer(status, 1, true));
        var chain = Pop(queue);
        Assert.True(queue.TryBeginGuestWrite(chain));

        var stop = queue.StopAsync();
        var abandon = Task.Run(queue.AbandonStop);
        await Task.Delay(100);
        Assert.False(abandon.IsCompleted);
        Assert.False(stop.IsCompleted);

        queue.EndGuestWrite();
        Assert.Equal(1, await abandon.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, await stop.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(queue.TryBeginGuestWrite(chain));

        Assert.True(queue.TryStart(_guest.Memory, out _));
        _vring.Post(new TestBuffer(_guest.Allocate(1), 1, true));
        var next = Pop(queue);
        Assert.True(queue.TryBeginGuestWrite(next));
        queue.EndGuestWrite();
        queue.Complete(next, 1);
        queue.Complete(chain, 1);
        Assert.Equal(1, _vring.UsedIndex);
        Assert.Equal(((uint)next.Head, 1u), _vring.Used(0));
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(3u)]
    [InlineData(65536u)]
    public void QueueSize_MustBeAPowerOfTwoUpToTheMaximum(uint size) => Assert.False(new SplitVirtqueue(0).TrySetSize(size));

    [Fact]
    public void RingsOutsideMemoryOrMisaligned_DoNotStart()
    {
        using var queue = new SplitVirtqueue(0);
        Assert.False(queue.TryStart(_guest.Memory, out _));
        Assert.True(queue.TrySetSize(8));
        queue.Addresses = _vring.Addresses() with { UsedRing = 0x1000 };
        Assert.False(queue.TryStart(_guest.Memory, out string? outside));
        Assert.Contains("outside", outside);
        queue.Addresses = _vring.Addresses() with { DescriptorTable = TestGuest.UserAddressOf(_vring.DescriptorTable) + 8 };
        Assert.False(queue.TryStart(_guest.Memory, out string? misaligned));
        Assert.Contains("misaligned", misaligned);
    }
}
