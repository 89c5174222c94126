using ExportPS.Engine.Model;
using ExportPS.Engine.Net;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

/// <summary>The L2TPv3 data header, byte by byte as QEMU's l2tpv3 netdev lays it out, and the receiver's checks.</summary>
public sealed class L2tpv3HeaderTests
{
    private static L2tpv3NetdevOptions Options(bool udp = false) =>
        new() { Id = "l", Src = "127.0.0.1", Dst = "127.0.0.1", TxSession = 0x01020304, Udp = udp ? true : null };

    private static byte[] Header(L2tpv3Header header, uint sequence)
    {
        var bytes = new byte[header.Length];
        header.Write(bytes, sequence);
        return bytes;
    }

    [Fact]
    public void RawIpCarriesOnlyTheSessionId() =>
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, Header(L2tpv3Header.From(Options()), 1));

    [Fact]
    public void UdpStartsWithTheDataMessageWord() =>
        Assert.Equal(new byte[] { 0, 3, 0, 0, 1, 2, 3, 4 }, Header(L2tpv3Header.From(Options(udp: true)), 1));

    [Fact]
    public void A32BitCookieThenTheCounterThenTheZeroedOffset()
    {
        var header = L2tpv3Header.From(Options(udp: true) with { TxCookie = 0xAABBCCDD, RxCookie = 1, Counter = true, Offset = 3 });
        Assert.Equal(new byte[] { 0, 3, 0, 0, 1, 2, 3, 4, 0xAA, 0xBB, 0xCC, 0xDD, 0, 0, 0, 7, 0, 0, 0 }, Header(header, 7));
    }

    [Fact]
    public void A64BitCookieAndAPinnedCounter()
    {
        var header = L2tpv3Header.From(Options() with { TxCookie = 0x1122334455667788, RxCookie = 1, Cookie64 = true, Counter = true, PinCounter = true });
        Assert.Equal(new byte[] { 1, 2, 3, 4, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0, 0, 0, 0 }, Header(header, 9));
    }

    [Fact]
    public void PinCounterAloneAddsNoCounterField()
    {
        var header = L2tpv3Header.From(Options() with { PinCounter = true });
        Assert.Equal(4, header.Length);
        Assert.False(header.HasCounter);
    }

    [Fact]
    public void TheReceiveSessionDefaultsToTheTransmitOne()
    {
        Assert.Equal(0x01020304u, L2tpv3Header.From(Options()).RxSession);
        Assert.Equal(9u, L2tpv3Header.From(Options() with { RxSession = 9 }).RxSession);
    }

    [Fact]
    public void AReceiverChecksSessionAndCookieAndWantsAFrame()
    {
        var sender = new L2tpv3Header(udp: true, cookieLength: 4, counter: true, pinCounter: false, extraOffset: 2, txSession: 5, rxSession: 6, txCookie: 0xCAFE, rxCookie: 0xBEEF);
        var receiver = new L2tpv3Header(udp: true, cookieLength: 4, counter: true, pinCounter: false, extraOffset: 2, txSession: 6, rxSession: 5, txCookie: 0xBEEF, rxCookie: 0xCAFE);
        var packet = new byte[sender.Length + 60];
        sender.Write(packet, 1);
        TestFrames.Make(60, 4).CopyTo(packet, sender.Length);

        Assert.Equal(L2tpv3PacketStatus.Frame, receiver.Check(packet));
        Assert.Equal(TestFrames.Make(60, 4), packet[receiver.Length..]);
        var otherSession = new L2tpv3Header(udp: true, cookieLength: 4, counter: true, pinCounter: false, extraOffset: 2, txSession: 6, rxSession: 9, txCookie: 0xBEEF, rxCookie: 0xCAFE);
        Assert.Equal(L2tpv3PacketStatus.WrongSession, otherSession.Check(packet));
        Assert.Equal(L2tpv3PacketStatus.WrongCookie, sender.Check(packet));
        Assert.Equal(L2tpv3PacketStatus.TooShort, receiver.Check(packet.AsSpan(0, receiver.Length)));

        packet[9] ^= 0xFF; // inside the cookie
        Assert.Equal(L2tpv3PacketStatus.WrongCookie, receiver.Check(packet));
    }

    [Fact]
    public void ASessionOfOtherBitsIsWrong()
    {
        var header = new L2tpv3Header(udp: false, cookieLength: 0, counter: false, pinCounter: false, extraOffset: 0, txSession: 1, rxSession: 1, txCookie: 0, rxCookie: 0);
        Assert.Equal(L2tpv3PacketStatus.Frame, header.Check([0, 0, 0, 1, 0xFF]));
        Assert.Equal(L2tpv3PacketStatus.WrongSession, header.Check([1, 0, 0, 1, 0xFF]));
    }

    [Theory]
    [InlineData(0x45, 40, 20)]
    [InlineData(0x46, 40, 24)]
    [InlineData(0x45, 19, -1)]
    [InlineData(0x4F, 40, -1)]
    [InlineData(0x44, 40, -1)]
    public void ARawIPv4SocketsHeaderIsSkippedByItsLengthField(byte versionAndLength, int packetLength, int expected)
    {
        var packet = new byte[packetLength];
        packet[0] = versionAndLength;
        Assert.Equal(expected, L2tpv3Header.IPv4HeaderLength(packet));
    }
}
