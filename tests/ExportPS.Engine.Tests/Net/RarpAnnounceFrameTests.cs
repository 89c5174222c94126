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
    public void DestinationTooShortIsRefused() =>
        Assert.ThrowsAny<ArgumentException>(() => RarpAnnounceFrame.Write(MacAddress.Broadcast, new byte[59]));
}
