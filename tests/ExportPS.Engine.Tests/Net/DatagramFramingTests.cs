using ExportPS.Engine.Net;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

public sealed class DatagramFramingTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(42)]
    [InlineData(1514)]
    public void DatagramWithinTheLimitIsOneFrame(int length) =>
        Assert.True(DatagramFraming.IsFrame(length, 1514, out _));

    [Fact]
    public void DatagramThatFillsTheOneByteLongerBufferIsOversize()
    {
        Assert.Equal(1515, DatagramFraming.ReceiveBufferLength(1514));
        Assert.False(DatagramFraming.IsFrame(DatagramFraming.ReceiveBufferLength(1514), 1514, out var reason));
        Assert.Equal(NetDropReason.Oversize, reason);
    }

    [Fact]
    public void EmptyDatagramIsMalformed()
    {
        Assert.False(DatagramFraming.IsFrame(0, 1514, out var reason));
        Assert.Equal(NetDropReason.Malformed, reason);
    }
}
