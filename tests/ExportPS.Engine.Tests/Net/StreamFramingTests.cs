using System.Buffers;
using ExportPS.Engine.Net;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

public sealed class StreamFramingTests
{
    private static byte[] Encode(params byte[][] frames)
    {
        var wire = new byte[frames.Sum(frame => StreamFraming.HeaderLength + frame.Length)];
        var offset = 0;
        foreach (var frame in frames)
            offset += StreamFraming.Encode(frame, wire.AsSpan(offset));
        return wire;
    }

    private static List<byte[]> ReadAll(ref ReadOnlySequence<byte> buffer)
    {
        var frames = new List<byte[]>();
        while (StreamFraming.TryReadFrame(ref buffer, NetFrameLimits.MaxFrameLength, out var frame) ==
               StreamFrameStatus.Frame)
            frames.Add(frame.ToArray());
        return frames;
    }

    [Fact]
    public void EncodesAsQemuDoesLengthBigEndianThenFrame()
    {
        var frame = TestFrames.Make(42, 9);
        var wire = Encode(frame);
        Assert.Equal(new byte[] { 0, 0, 0, 42 }, wire[..4]);
        Assert.Equal(frame, wire[4..]);
    }

    [Fact]
    public void RoundTripsFramesSplitAtEveryPoint()
    {
        byte[][] frames = [TestFrames.Make(42, 1), TestFrames.Make(1, 2), TestFrames.Make(98, 3)];
        var wire = Encode(frames);
        for (var split = 0; split <= wire.Length; split++)
        {
            var buffer = SequenceSegments.SplitAt(wire, split);
            Assert.Equal(frames, ReadAll(ref buffer));
            Assert.Equal(0, buffer.Length);
        }
    }

    [Fact]
    public void FrameAtTheLimitIsReadAndOneByteMoreIsOversize()
    {
        var atLimit = TestFrames.Make(NetFrameLimits.MaxFrameLength, 4);
        var buffer = new ReadOnlySequence<byte>(Encode(atLimit));
        Assert.Equal(StreamFrameStatus.Frame,
            StreamFraming.TryReadFrame(ref buffer, NetFrameLimits.MaxFrameLength, out var frame));
        Assert.Equal(atLimit, frame.ToArray());

        var over = new ReadOnlySequence<byte>(Encode(TestFrames.Make(NetFrameLimits.MaxFrameLength + 1, 4)));
        Assert.Equal(StreamFrameStatus.Oversize,
            StreamFraming.TryReadFrame(ref over, NetFrameLimits.MaxFrameLength, out _));
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0, 0, 1, 2 }, StreamFrameStatus.EmptyFrame)]
    [InlineData(new byte[] { 0, 1, 0x10, 1 }, StreamFrameStatus.Oversize)]
    [InlineData(new byte[] { 0x80, 0, 0, 0 }, StreamFrameStatus.Oversize)]
    [InlineData(new byte[] { 0xff, 0xff, 0xff, 0xff }, StreamFrameStatus.Oversize)]
    public void BadLengthIsReportedWithoutConsumingAndWithoutWaitingForTheBody(byte[] wire, StreamFrameStatus expected)
    {
        var buffer = new ReadOnlySequence<byte>(wire);
        Assert.Equal(expected, StreamFraming.TryReadFrame(ref buffer, NetFrameLimits.MaxFrameLength, out _));
        Assert.Equal(wire.Length, buffer.Length);
    }

    [Fact]
    public void BadStatusesMapToTheirDropReasons()
    {
        Assert.Equal(NetDropReason.Malformed, StreamFraming.DropReason(StreamFrameStatus.EmptyFrame));
        Assert.Equal(NetDropReason.Oversize, StreamFraming.DropReason(StreamFrameStatus.Oversize));
        Assert.Throws<ArgumentOutOfRangeException>(() => StreamFraming.DropReason(StreamFrameStatus.Frame));
    }

    [Fact]
    public void TruncatedFrameNeedsMoreDataAtEveryCutAndLeavesTheBufferAlone()
    {
        var wire = Encode(TestFrames.Make(60, 5));
        for (var cut = 0; cut < wire.Length; cut++)
        {
            for (var split = 0; split <= cut; split++)
            {
                var buffer = SequenceSegments.SplitAt(wire[..cut], split);
                Assert.Equal(StreamFrameStatus.NeedMoreData,
                    StreamFraming.TryReadFrame(ref buffer, NetFrameLimits.MaxFrameLength, out _));
                Assert.Equal(cut, buffer.Length);
            }
        }
    }

    [Fact]
    public void ReadsFramesSpreadOverManySmallSegments()
    {
        byte[][] frames = [TestFrames.Make(60, 6), TestFrames.Make(1514, 7)];
        var wire = Encode(frames);
        var pieces = wire.Chunk(3).ToArray();
        var buffer = SequenceSegments.Of(pieces);
        Assert.Equal(frames, ReadAll(ref buffer));
    }

    [Fact]
    public void ReadingAFrameAllocatesNothing()
    {
        var wire = Encode(TestFrames.Make(1514, 8));
        var buffer = new ReadOnlySequence<byte>(wire);
        StreamFraming.TryReadFrame(ref buffer, NetFrameLimits.MaxFrameLength, out _);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            buffer = new ReadOnlySequence<byte>(wire);
            StreamFraming.TryReadFrame(ref buffer, NetFrameLimits.MaxFrameLength, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void HeaderRefusesAnEmptyFrame() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => StreamFraming.WriteHeader(new byte[4], 0));
}
