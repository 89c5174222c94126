using System.Buffers;
using ExportPS.Engine.Net;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

public sealed class NetFrameQueueTests
{
    [Fact]
    public void FramesComeOutInOrderAndTheFirstWakesTheConsumer()
    {
        using var queue = new NetFrameQueue(4);
        Assert.True(queue.TryEnqueue(TestFrames.Make(60, 1), out var firstWakes));
        Assert.True(queue.TryEnqueue(TestFrames.Make(70, 2), out var secondWakes));
        Assert.Equal((true, false), (firstWakes, secondWakes));

        for (var i = 1; i <= 2; i++)
        {
            Assert.True(queue.TryDequeue(out var frame));
            using (frame)
                Assert.Equal(TestFrames.Make(50 + 10 * i, (byte)i), frame.Span.ToArray());
        }

        Assert.False(queue.TryDequeue(out _));
        Assert.True(queue.TryEnqueue(TestFrames.Make(60, 3), out var wakesAgain));
        Assert.True(wakesAgain);
    }

    [Fact]
    public void FullQueueRefusesUntilTheConsumerTakesOne()
    {
        using var queue = new NetFrameQueue(3);
        for (var i = 0; i < 3; i++)
            Assert.True(queue.TryEnqueue(TestFrames.Make(60, (byte)i), out _));

        Assert.False(queue.TryEnqueue(TestFrames.Make(60, 9), out var wakes));
        Assert.False(wakes);
        Assert.Equal(3, queue.Count);

        Assert.True(queue.TryDequeue(out var oldest));
        oldest.Dispose();
        Assert.True(queue.TryEnqueue(TestFrames.Make(60, 4), out _));
        var rest = new List<byte>();
        while (queue.TryDequeue(out var frame))
        {
            using (frame)
                rest.Add(frame.Span[0]);
        }

        Assert.Equal([TestFrames.Make(60, 1)[0], TestFrames.Make(60, 2)[0], TestFrames.Make(60, 4)[0]], rest);
    }

    [Fact]
    public void BackendCountsQueueFullWhenItsWriterFallsBehind()
    {
        var queue = new NetFrameQueue(2);
        var (sender, _) = RecordingBackend.Create("sender");
        var receiver = new Netdev("slow", _ => new QueueingBackend(queue));
        Netdev.Connect(sender, receiver);

        for (var i = 0; i < 5; i++)
            sender.Send(TestFrames.Make(60, (byte)i));

        var counters = receiver.Received.Snapshot();
        Assert.Equal((2L, 3L), (counters.Frames, counters.DroppedQueueFull));
        queue.Dispose();
    }

    [Fact]
    public void EveryRentedBufferGoesBackToThePool()
    {
        var pool = new CountingPool();
        var queue = new NetFrameQueue(8, pool);
        for (var i = 0; i < 5; i++)
            queue.TryEnqueue(TestFrames.Make(100, (byte)i), out _);
        Assert.True(queue.TryDequeue(out var frame));
        frame.Dispose();
        queue.Dispose();

        Assert.Equal((5, 5), (pool.Rented, pool.Returned));
        Assert.False(queue.TryEnqueue(TestFrames.Make(100, 0), out _));
        Assert.Equal(5, pool.Rented);
    }

    [Fact]
    public async Task ConcurrentProducersLoseNoFrameWithoutRefusal()
    {
        using var queue = new NetFrameQueue(64);
        var accepted = 0;
        var taken = 0;
        var producers = Task.WhenAll(Enumerable.Range(0, 4).Select(p => Task.Run(() =>
        {
            for (var i = 0; i < 5000; i++)
            {
                if (queue.TryEnqueue(TestFrames.Make(60, (byte)p), out _))
                    Interlocked.Increment(ref accepted);
            }
        })));
        while (!producers.IsCompleted || queue.Count > 0)
        {
            while (queue.TryDequeue(out var frame))
            {
                frame.Dispose();
                taken++;
            }
        }

        await producers.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(accepted, taken);
    }

    private sealed class QueueingBackend(NetFrameQueue queue) : INetBackend
    {
        public string Type => "test";

        public bool TryReceive(ReadOnlySpan<byte> frame, out NetDropReason reason)
        {
            reason = NetDropReason.QueueFull;
            return queue.TryEnqueue(frame, out _);
        }

        public void LinkStatusChanged(bool up)
        {
        }
    }

    private sealed class CountingPool : ArrayPool<byte>
    {
        public int Rented { get; private set; }

        public int Returned { get; private set; }

        public override byte[] Rent(int minimumLength)
        {
            Rented++;
            return new byte[minimumLength];
        }

        public override void Return(byte[] array, bool clearArray = false) => Returned++;
    }
}
