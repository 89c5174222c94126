using ExportPS.Engine.Net;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

/// <summary>The virtio-net header a tap with IFF_VNET_HDR carries: stripped on the way in, an empty one added on the way out.</summary>
public sealed class VirtioNetHeaderTests
{
    [Fact]
    public void TheFrameFollowsTheHeader()
    {
        var packet = new byte[VirtioNetHeader.Length + 60];
        TestFrames.Make(60, 3).CopyTo(packet, VirtioNetHeader.Length);
        Assert.True(VirtioNetHeader.TryStrip(packet, VirtioNetHeader.Length, out var frame, out _));
        Assert.Equal(TestFrames.Make(60, 3), frame.ToArray());
    }

    [Fact]
    public void WithoutAHeaderThePacketIsTheFrame()
    {
        Assert.True(VirtioNetHeader.TryStrip(TestFrames.Make(60, 1), 0, out var frame, out _));
        Assert.Equal(TestFrames.Make(60, 1), frame.ToArray());
        Assert.False(VirtioNetHeader.TryStrip([], 0, out _, out var reason));
        Assert.Equal(NetDropReason.Malformed, reason);
    }

    [Fact]
    public void AHeaderWithNoFrameOrASegmentationOffloadPacketIsMalformed()
    {
        Assert.False(VirtioNetHeader.TryStrip(new byte[VirtioNetHeader.Length], VirtioNetHeader.Length, out _, out var reason));
        Assert.Equal(NetDropReason.Malformed, reason);

        var gso = new byte[VirtioNetHeader.Length + 60];
        gso[1] = 1; // VIRTIO_NET_HDR_GSO_TCPV4
        Assert.False(VirtioNetHeader.TryStrip(gso, VirtioNetHeader.Length, out _, out reason));
        Assert.Equal(NetDropReason.Malformed, reason);
    }

    [Fact]
    public void TheHeaderWrittenAsksForNothing()
    {
        var header = Enumerable.Repeat((byte)0xFF, 12).ToArray();
        VirtioNetHeader.WriteEmpty(header, 12);
        Assert.All(header, b => Assert.Equal(0, b));
    }
}
