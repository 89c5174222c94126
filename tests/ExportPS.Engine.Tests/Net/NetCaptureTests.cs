using ExportPS.Engine.Net;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

public sealed class NetCaptureTests
{
    private static (Netdev A, Netdev B) Pair()
    {
        var (a, _) = RecordingBackend.Create("a");
        var (b, _) = RecordingBackend.Create("b");
        Netdev.Connect(a, b);
        return (a, b);
    }

    private static List<int> CapturedLengths(MemoryStream stream) =>
        [.. PcapFile.Parse(stream.ToArray()).Records.Select(record => record.OriginalLength)];

    [Theory]
    [InlineData(NetCaptureDirection.All, new[] { 61, 62 })]
    [InlineData(NetCaptureDirection.Rx, new[] { 62 })]
    [InlineData(NetCaptureDirection.Tx, new[] { 61 })]
    public void CaptureSeesTheDirectionsItWasAskedFor(NetCaptureDirection direction, int[] expected)
    {
        var (a, b) = Pair();
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, ownsStream: false))
        {
            a.AddCapture(new NetCaptureTap("dump0", writer, direction));
            a.Send(TestFrames.Make(61, 1));
            b.Send(TestFrames.Make(62, 2));
        }

        Assert.Equal(expected, CapturedLengths(stream));
    }

    [Fact]
    public void LikeQemuDroppedSendsAreNotCapturedButDeliveriesToADownLinkAre()
    {
        var (a, b) = Pair();
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, ownsStream: false))
        {
            a.AddCapture(new NetCaptureTap("dump0", writer, NetCaptureDirection.All));
            a.SetLink(false);
            a.Send(TestFrames.Make(61, 1));
            b.Send(TestFrames.Make(62, 2));
        }

        Assert.Equal([62], CapturedLengths(stream));
        Assert.Equal(1, a.Received.Snapshot().DroppedLinkDown);
    }

    [Fact]
    public void RemovedCaptureSeesNoMoreFrames()
    {
        var (a, _) = Pair();
        var stream = new MemoryStream();
        using var writer = new PcapWriter(stream, ownsStream: false);
        var tap = new NetCaptureTap("dump0", writer, NetCaptureDirection.All);
        a.AddCapture(tap);
        a.Send(TestFrames.Make(61, 1));
        Assert.True(a.RemoveCapture(tap));
        Assert.False(a.RemoveCapture(tap));
        a.Send(TestFrames.Make(63, 1));

        Assert.Empty(a.Captures);
        Assert.Equal([61], CapturedLengths(stream));
    }

    [Fact]
    public void WriteErrorStopsTheCaptureAndTrafficGoesOn()
    {
        var (a, b) = Pair();
        var stream = new FailingStream();
        using var writer = new PcapWriter(stream, ownsStream: false);
        a.AddCapture(new NetCaptureTap("dump0", writer, NetCaptureDirection.All));
        stream.Fail = true;

        a.Send(TestFrames.Make(61, 1));
        a.Send(TestFrames.Make(61, 1));

        Assert.Equal("disk full", writer.Failure);
        Assert.Equal(1, stream.FailedWrites);
        Assert.Equal(2, b.Received.Snapshot().Frames);
    }

    private sealed class FailingStream : MemoryStream
    {
        public bool Fail { get; set; }

        public int FailedWrites { get; private set; }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Fail)
            {
                FailedWrites++;
                throw new IOException("disk full");
            }

            base.Write(buffer);
        }
    }
}
