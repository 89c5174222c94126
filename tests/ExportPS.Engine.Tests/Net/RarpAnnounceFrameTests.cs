using ExportPS.Engine.Net;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

public sealed class RarpAnnounceFrameTests
{
    [Fact]
    public void FrameIsTheRarpReverseRequestQemuSends()
    {
        var frame = new byte[64];
        Array.Fill(frame, (byte)0xee);
        RarpAnnounceFrame.Write(MacAddress.Parse("52:54:00:12:34:56"), frame);

        byte[] mac = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
        byte[] expected =
        [
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, .. mac, 0x80, 0x35, // broadcast, source, ethertype RARP
            0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x03, // Ethernet, IPv4, address lengths, reverse request
            .. mac, 0, 0, 0, 0, // sender hardware and protocol address
            .. mac, 0, 0, 0, 0, // target hardware and protocol address
            .. new byte[18], // padding to 60 bytes
        ];
        Assert.Equal(expected, frame[..60]);
        Assert.Equal([0xee, 0xee, 0xee, 0xee], frame[60..]);
    }

    [Fact]
    public void AnnounceGoesOutOfTheNetdevsFarEndAndIsCounted()
    {
        var (netdev, backend) = RecordingBackend.Create("n0");
        var mac = MacAddress.Parse("52:54:00:12:34:56");
        var expected = new byte[RarpAnnounceFrame.Length];
        RarpAnnounceFrame.Write(mac, expected);

        netdev.Announce(mac);
        netdev.SetLink(false);
        netdev.Announce(mac);

        Assert.Equal([expected], backend.Frames);
        Assert.Equal(new NetTrafficSnapshot(1, 60, 1, 0, 0, 0, 0), netdev.Received.Snapshot());
    }

    [Fact]
    public void AnnounceOutOfAHubPortLeavesByEveryOtherPort()
    {
        var hub = new NetHub(0);
        var (a, aBackend) = RecordingBackend.Create("a");
        var (b, bBackend) = RecordingBackend.Create("b");
        var port = hub.AddPort("p0");
        hub.AddPort("p1", a);
        hub.AddPort("p2", b);

        port.Announce(MacAddress.Parse("52:54:00:00:00:01"));

        Assert.Single(aBackend.Frames);
        Assert.Single(bBackend.Frames);
        Assert.Equal(RarpAnnounceFrame.EtherTypeRarp, (aBackend.Frames[0][12] << 8) | aBackend.Frames[0][13]);
    }

    [Fact]
    public void DestinationTooShortIsRefused() =>
        Assert.ThrowsAny<ArgumentException>(() => RarpAnnounceFrame.Write(MacAddress.Broadcast, new byte[59]));
}
