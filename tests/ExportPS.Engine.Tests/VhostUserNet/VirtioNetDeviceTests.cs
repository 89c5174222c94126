using System.Buffers.Binary;
using ExportPS.Engine.Net;
using ExportPS.Engine.Tests.Net;
using ExportPS.Engine.Tests.VhostUser;
using ExportPS.Engine.VhostUser;
using ExportPS.Engine.VhostUser.Net;
using Xunit;

namespace ExportPS.Engine.Tests.VhostUserNet;

/// <summary>
/// The virtio-net device model driven by a test driver on its rings: the transmit path to a recording wire, and the
/// receive path (header layouts, mergeable buffers, too few or too small buffers) through a <see cref="VirtioNetReceiver"/>.
/// </summary>
public sealed class VirtioNetDeviceTests : IDisposable
{
    private const ulong Modern = VirtioFeatures.Version1 | VirtioNetFeatures.MrgRxbuf;

    private readonly TestGuest _guest = new(4 << 20);
    private readonly RecordingWire _wire = new();
    private readonly VirtioNetDevice _device;
    private readonly TestVring _vring;
    private readonly SplitVirtqueue _queue;

    public VirtioNetDeviceTests()
    {
        _device = new VirtioNetDevice(new VirtioNetOptions { Mac = MacAddress.Parse("52:54:00:12:34:56") }, _wire);
        _vring = new TestVring(_guest, 16);
        _queue = _vring.CreateQueue(index: 1);
    }

    public void Dispose()
    {
        _queue.Dispose();
        _guest.Dispose();
    }

    private SplitVirtqueue ReceiveQueue(TestVring vring) => vring.CreateQueue(index: 0);

    private ulong Buffer(byte[] content)
    {
        ulong address = _guest.Allocate(content.Length);
        content.CopyTo(_guest.At(address, content.Length));
        return address;
    }

    /// <summary>A transmit request: the header in one descriptor, the frame in another, as Linux posts them.</summary>
    private void PostTransmit(byte[] frame, int headerLength) =>
        _vring.Post(new(Buffer(new byte[headerLength]), (uint)headerLength, false), new(Buffer(frame), (uint)frame.Length, false));

    private (ulong Address, ushort Head) PostReceive(TestVring vring, int length)
    {
        ulong address = _guest.Allocate(length);
        _guest.At(address, length).Fill(0xee);
        return (address, vring.Post(new TestBuffer(address, (uint)length, true)));
    }

    [Theory]
    [InlineData(Modern, 12)]
    [InlineData(VirtioFeatures.Version1, 12)]
    [InlineData(0UL, 10)]
    public void Transmit_HandsTheFrameAfterTheHeaderToTheWire(ulong features, int headerLength)
    {
        _device.FeaturesNegotiated(features);
        Assert.Equal(headerLength, _device.HeaderLength);
        var frame = TestFrames.Ethernet(0x0800, 100);
        PostTransmit(frame, headerLength);
        PostTransmit(TestFrames.Ethernet(0x0806, 60), headerLength);

        _device.ProcessQueue(_queue);

        Assert.Equal(2, _wire.Frames.Count);
        Assert.Equal(frame, _wire.Frames[0]);
        Assert.Equal(2, _vring.UsedIndex);
        Assert.Equal((0u, 0u), _vring.Used(0));
    }

    [Fact]
    public void Transmit_FinishesAChecksumTheDriverLeftToTheDevice()
    {
        Assert.NotEqual(0UL, _device.Features & VirtioNetFeatures.Csum);
        _device.FeaturesNegotiated(Modern | VirtioNetFeatures.Csum);
        byte[] frame = UdpFrame(payloadLength: 101);
        byte[] partial = (byte[])frame.Clone();
        // What Linux leaves in the field: the pseudo-header's sum, folded and not complemented.
        BinaryPrimitives.WriteUInt16BigEndian(partial.AsSpan(UdpChecksumAt), UdpChecksum(frame, withPseudoHeaderOnly: true));
        _vring.Post(new(Buffer(PartialChecksumHeader(UdpStart, 6)), 12, false), new(Buffer(partial), (uint)partial.Length, false));

        _device.ProcessQueue(_queue);

        Assert.Equal(frame, Assert.Single(_wire.Frames));
        Assert.Equal(0xffff, UdpChecksum(_wire.Frames[0], withPseudoHeaderOnly: false));
    }

    [Fact]
    public void Transmit_WithAChecksumFieldBeyondTheFrame_IsDroppedAsMalformed()
    {
        _device.FeaturesNegotiated(Modern | VirtioNetFeatures.Csum);
        byte[] frame = UdpFrame(payloadLength: 20);
        _vring.Post(new(Buffer(PartialChecksumHeader(UdpStart, (ushort)(frame.Length - UdpStart - 1))), 12, false),
            new(Buffer(frame), (uint)frame.Length, false));

        _device.ProcessQueue(_queue);

        Assert.Empty(_wire.Frames);
        Assert.Equal([NetDropReason.Malformed], _wire.Drops);
        Assert.Equal(1, _vring.UsedIndex);
    }

    private const int UdpStart = 14 + 20;
    private const int UdpChecksumAt = UdpStart + 6;

    /// <summary>Ethernet, IPv4 (10.0.0.1 to 10.0.0.2) and UDP with a correct checksum around a patterned payload.</summary>
    private static byte[] UdpFrame(int payloadLength)
    {
        byte[] frame = TestFrames.Ethernet(0x0800, UdpStart + 8 + payloadLength);
        var ip = frame.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + 8 + payloadLength));
        ip[8] = 64;
        ip[9] = 17;
        byte[] addresses = [10, 0, 0, 1, 10, 0, 0, 2];
        addresses.CopyTo(ip[12..]);
        var udp = frame.AsSpan(UdpStart);
        BinaryPrimitives.WriteUInt16BigEndian(udp, 5000);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], 5001);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(8 + payloadLength));
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], (ushort)~UdpChecksum(frame, withPseudoHeaderOnly: false));
        return frame;
    }

    /// <summary>The folded ones' complement sum of the UDP pseudo-header and, unless told otherwise, the datagram, word by word.</summary>
    private static ushort UdpChecksum(byte[] frame, bool withPseudoHeaderOnly)
    {
        int udpLength = frame.Length - UdpStart;
        uint sum = 17u + (uint)udpLength;
        for (int i = 14 + 12; i < UdpStart; i += 2)
        {
            sum += (uint)((frame[i] << 8) | frame[i + 1]);
        }

        for (int i = UdpStart; !withPseudoHeaderOnly && i < frame.Length; i += 2)
        {
            sum += (uint)((frame[i] << 8) | (i + 1 < frame.Length ? frame[i + 1] : 0));
        }

        while (sum > 0xffff)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }

        return (ushort)sum;
    }

    /// <summary>A 12-byte header with NEEDS_CSUM, csum_start and csum_offset.</summary>
    private static byte[] PartialChecksumHeader(ushort start, ushort offset)
    {
        var header = new byte[12];
        header[0] = VirtioNetHeader.NeedsChecksum;
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), start);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), offset);
        return header;
    }

    [Fact]
    public void Transmit_OfABadChain_IsCompletedAndCountedAsMalformed()
    {
        _device.FeaturesNegotiated(Modern);
        _vring.Post(new TestBuffer(0x10, 64, false));
        _vring.Post(new TestBuffer(Buffer(new byte[12]), 12, false));

        _device.ProcessQueue(_queue);

        Assert.Empty(_wire.Frames);
        Assert.Equal([NetDropReason.Malformed, NetDropReason.Malformed], _wire.Drops);
        Assert.Equal(2, _vring.UsedIndex);
    }

    [Fact]
    public void ReceiveQueueKick_TransmitsNothing()
    {
        var rx = new TestVring(_guest, 16);
        using var queue = ReceiveQueue(rx);
        PostReceive(rx, 1526);
        _device.ProcessQueue(queue);
        Assert.Empty(_wire.Frames);
        Assert.Equal(0, rx.UsedIndex);
    }

    [Theory]
    [InlineData(Modern, 12)]
    [InlineData(VirtioFeatures.Version1, 12)]
    [InlineData(0UL, 10)]
    public void Receive_WritesAnEmptyHeaderThenTheFrame(ulong features, int headerLength)
    {
        _device.FeaturesNegotiated(features);
        var rx = new TestVring(_guest, 16);
        using var queue = ReceiveQueue(rx);
        var (address, head) = PostReceive(rx, 1526);
        var frame = TestFrames.Ethernet(0x0800, 200);

        Assert.True(new VirtioNetReceiver().TryWrite(queue, frame, _device.HeaderLength, _device.MergeableReceiveBuffers, out _));

        Assert.Equal(1, rx.UsedIndex);
        Assert.Equal((head, (uint)(headerLength + frame.Length)), rx.Used(0));
        var written = _guest.At(address, headerLength + frame.Length);
        Assert.All(written[..10].ToArray(), b => Assert.Equal(0, b));
        if (headerLength == 12)
        {
            Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(written[10..]));
        }

        Assert.Equal(frame, written[headerLength..].ToArray());
        Assert.Equal(0xee, _guest.At(address + (ulong)(headerLength + frame.Length), 1)[0]);
    }

    [Fact]
    public void Receive_WithMergeableBuffers_SpreadsTheFrameAndCountsTheBuffers()
    {
        _device.FeaturesNegotiated(Modern);
        var rx = new TestVring(_guest, 16);
        using var queue = ReceiveQueue(rx);
        var buffers = Enumerable.Range(0, 4).Select(_ => PostReceive(rx, 1024)).ToArray();
        var frame = TestFrames.Make(3000, 9);

        Assert.True(new VirtioNetReceiver().TryWrite(queue, frame, 12, mergeable: true, out _));

        Assert.Equal(3, rx.UsedIndex);
        Assert.Equal((buffers[0].Head, 1024u), rx.Used(0));
        Assert.Equal((buffers[1].Head, 1024u), rx.Used(1));
        Assert.Equal((buffers[2].Head, 3012u - 2048u), rx.Used(2));
        Assert.Equal(3, BinaryPrimitives.ReadUInt16LittleEndian(_guest.At(buffers[0].Address + 10, 2)));
        var joined = buffers[0..3].SelectMany(b => _guest.At(b.Address, 1024).ToArray()).ToArray();
        Assert.Equal(frame, joined.AsSpan(12, frame.Length).ToArray());
    }

    [Fact]
    public void Receive_WithTooFewMergeableBuffers_DropsAsQueueFullAndKeepsThemForTheNextFrame()
    {
        _device.FeaturesNegotiated(Modern);
        var rx = new TestVring(_guest, 16);
        using var queue = ReceiveQueue(rx);
        var first = PostReceive(rx, 1024);
        PostReceive(rx, 1024);
        var receiver = new VirtioNetReceiver();

        Assert.False(receiver.TryWrite(queue, TestFrames.Make(3000, 1), 12, mergeable: true, out var reason));
        Assert.Equal(NetDropReason.QueueFull, reason);
        Assert.Equal(0, rx.UsedIndex);
        Assert.Equal(0, queue.InFlight);

        var small = TestFrames.Make(100, 2);
        Assert.True(receiver.TryWrite(queue, small, 12, mergeable: true, out _));
        Assert.Equal((first.Head, 112u), rx.Used(0));
        Assert.Equal(small, _guest.At(first.Address + 12, 100).ToArray());
    }

    [Fact]
    public void Receive_WithoutBuffers_DropsAsQueueFull()
    {
        _device.FeaturesNegotiated(Modern);
        var rx = new TestVring(_guest, 16);
        using var queue = ReceiveQueue(rx);
        Assert.False(new VirtioNetReceiver().TryWrite(queue, TestFrames.Make(60, 1), 12, mergeable: true, out var reason));
        Assert.Equal(NetDropReason.QueueFull, reason);
    }

    [Fact]
    public void Receive_IntoABufferTooSmallWithoutMerging_ReturnsItEmptyAndDropsAsOversize()
    {
        _device.FeaturesNegotiated(VirtioFeatures.Version1);
        var rx = new TestVring(_guest, 16);
        using var queue = ReceiveQueue(rx);
        var (_, head) = PostReceive(rx, 64);

        Assert.False(new VirtioNetReceiver().TryWrite(queue, TestFrames.Make(100, 1), 12, mergeable: false, out var reason));

        Assert.Equal(NetDropReason.Oversize, reason);
        Assert.Equal(1, rx.UsedIndex);
        Assert.Equal((head, 0u), rx.Used(0));
    }

    [Fact]
    public void Receive_IntoAChainOutsideGuestMemory_ReturnsEveryBufferTakenEmpty()
    {
        _device.FeaturesNegotiated(Modern);
        var rx = new TestVring(_guest, 16);
        using var queue = ReceiveQueue(rx);
        PostReceive(rx, 1024);
        rx.Post(new TestBuffer(0x10, 1024, true));

        Assert.False(new VirtioNetReceiver().TryWrite(queue, TestFrames.Make(1500, 1), 12, mergeable: true, out var reason));

        Assert.Equal(NetDropReason.Malformed, reason);
        Assert.Equal(2, rx.UsedIndex);
        Assert.Equal(0u, rx.Used(0).Length);
        Assert.Equal(0u, rx.Used(1).Length);
    }

    [Fact]
    public void Config_HoldsTheMacTheLinkStatusAndTheQueuePairs()
    {
        var device = new VirtioNetDevice(new VirtioNetOptions { QueuePairs = 2, Mac = MacAddress.Parse("52:54:00:ab:cd:ef") }, _wire);
        var config = device.ReadConfig(0, VirtioNetConfig.Length)!;
        Assert.Equal(new byte[] { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef }, config[..6]);
        Assert.Equal(VirtioNetConfig.LinkUp, BinaryPrimitives.ReadUInt16LittleEndian(config.AsSpan(6)));
        Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(config.AsSpan(8)));

        device.LinkUp = false;
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(device.ReadConfig(6, 2)));
        Assert.Null(device.ReadConfig(250, 10));
    }

    [Fact]
    public void Features_OfferMultiqueueOnlyWithSeveralPairs()
    {
        Assert.Equal(0UL, _device.Features & VirtioNetFeatures.Mq);
        Assert.Equal(2, _device.NumQueues);
        var device = new VirtioNetDevice(new VirtioNetOptions { QueuePairs = 3 }, _wire);
        Assert.NotEqual(0UL, device.Features & VirtioNetFeatures.Mq);
        Assert.Equal(6, device.NumQueues);
        Assert.Equal(Modern, device.Features & Modern);
    }

    [Fact]
    public void TheBackEndOfANetDevice_OffersNoMemorySlotsNoInflightAreaAndNoConfig()
    {
        using var backend = new VhostUserBackend(_device);
        Assert.Equal(VhostUserProtocolFeatures.None,
            backend.OfferedProtocol & (VhostUserProtocolFeatures.ConfigureMemSlots | VhostUserProtocolFeatures.InflightShmem | VhostUserProtocolFeatures.Config));
        Assert.Equal(VhostUserProtocolFeatures.Mq | VhostUserProtocolFeatures.ReplyAck,
            backend.OfferedProtocol & (VhostUserProtocolFeatures.Mq | VhostUserProtocolFeatures.ReplyAck));
    }
}
