using System.Buffers.Binary;
using ExportPS.Engine.VhostUser;
using Microsoft.Win32.SafeHandles;
using Xunit;

namespace ExportPS.Engine.Tests.VhostUser;

public sealed class VhostUserCodecTests
{
    private static byte[] Encode(VhostUserRequest request, VhostUserPayload payload, VhostUserFlags flags = VhostUserFlags.Version1)
    {
        var bytes = new byte[VhostUserCodec.EncodedLength(payload)];
        Assert.Equal(bytes.Length, VhostUserCodec.Encode(new VhostUserHeader(request, flags, 0), payload, bytes));
        return bytes;
    }

    private static VhostUserMessage Parse(byte[] bytes, params SafeFileHandle[] fds)
    {
        var header = VhostUserCodec.ParseHeader(bytes);
        return VhostUserCodec.Parse(header, bytes.AsSpan(VhostUserHeader.Length), fds);
    }

    private static SafeFileHandle NewFd() => EventFd.Create().Handle;

    public static TheoryData<VhostUserRequest, VhostUserPayload, int> RoundTrips => new()
    {
        { VhostUserRequest.GetFeatures, EmptyPayload.Instance, 0 },
        { VhostUserRequest.SetOwner, EmptyPayload.Instance, 0 },
        { VhostUserRequest.SetFeatures, new U64Payload(0x1_7000_0000UL), 0 },
        { VhostUserRequest.SetStatus, new U64Payload(0xf), 0 },
        { VhostUserRequest.SendRarp, new U64Payload(0x5634_1200_5452UL), 0 },
        { VhostUserRequest.SetVringNum, new VringStatePayload(1, 256), 0 },
        { VhostUserRequest.GetVringBase, new VringStatePayload(0, 0), 0 },
        { VhostUserRequest.SetVringKick, new VringFdPayload(3, false), 1 },
        { VhostUserRequest.SetVringCall, new VringFdPayload(255, true), 0 },
        { VhostUserRequest.SetVringAddr, new VringAddressPayload(1, 0, 0x7f00_0000_1000, 0x7f00_0000_3000, 0x7f00_0000_2000, 0), 0 },
        { VhostUserRequest.SetMemTable, new MemoryTablePayload([new(0, 0xa0000, 0x7f00_0000_0000, 0), new(0x100000, 0x7ff00000, 0x7f00_0010_0000, 0x100000)]), 2 },
        { VhostUserRequest.AddMemReg, new MemoryRegionPayload(new(0x1_0000_0000, 1 << 30, 0x7f80_0000_0000, 0)), 1 },
        { VhostUserRequest.RemMemReg, new MemoryRegionPayload(new(0x1_0000_0000, 1 << 30, 0x7f80_0000_0000, 0)), 0 },
        { VhostUserRequest.SetConfig, new ConfigPayload(36, 0, [1, 2, 3, 4]), 0 },
        { VhostUserRequest.SetInflightFd, new InflightPayload(4096, 0, 2, 128), 1 },
    };

    [Theory]
    [MemberData(nameof(RoundTrips))]
    public void Requests_RoundTrip(VhostUserRequest request, VhostUserPayload payload, int fdCount)
    {
        var fds = Enumerable.Range(0, fdCount).Select(_ => NewFd()).ToArray();
        using var message = Parse(Encode(request, payload, VhostUserFlags.Version1 | VhostUserFlags.NeedReply), fds);
        Assert.Equal(request, message.Request);
        Assert.True(message.Header.NeedsReply);
        Assert.Equal(fdCount, message.FdCount);
        if (payload is MemoryTablePayload table)
        {
            Assert.Equal(table.Regions, Assert.IsType<MemoryTablePayload>(message.Payload).Regions);
        }
        else if (payload is ConfigPayload config)
        {
            var parsed = Assert.IsType<ConfigPayload>(message.Payload);
            Assert.Equal((config.Offset, config.Flags), (parsed.Offset, parsed.Flags));
            Assert.Equal(config.Data, parsed.Data);
        }
        else
        {
            Assert.Equal(payload, message.Payload);
        }
    }

    [Fact]
    public void Replies_CarryTheGettersPayloads()
    {
        using var features = Parse(Encode(VhostUserRequest.GetFeatures, new U64Payload(42), VhostUserFlags.Version1 | VhostUserFlags.Reply));
        Assert.True(features.Header.IsReply);
        Assert.Equal(new U64Payload(42), features.Payload);

        using var vringBase = Parse(Encode(VhostUserRequest.GetVringBase, new VringStatePayload(1, 77), VhostUserFlags.Version1 | VhostUserFlags.Reply));
        Assert.Equal(new VringStatePayload(1, 77), vringBase.Payload);

        using var ack = Parse(Encode(VhostUserRequest.SetMemTable, new U64Payload(0), VhostUserFlags.Version1 | VhostUserFlags.Reply));
        Assert.Equal(new U64Payload(0), ack.Payload);

        using var inflight = Parse(Encode(VhostUserRequest.GetInflightFd, new InflightPayload(8192, 0, 1, 256), VhostUserFlags.Version1 | VhostUserFlags.Reply), NewFd());
        Assert.Equal(1, inflight.FdCount);
    }

    [Fact]
    public void EncodeReply_SetsVersionAndReplyFlag()
    {
        var bytes = new byte[64];
        int length = VhostUserCodec.EncodeReply(VhostUserRequest.GetQueueNum, new U64Payload(2), bytes);
        Assert.Equal(20, length);
        Assert.Equal((uint)VhostUserRequest.GetQueueNum, BinaryPrimitives.ReadUInt32LittleEndian(bytes));
        Assert.Equal(0x5u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)));
        Assert.Equal(8u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
        Assert.Equal(2UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(12)));
    }

    private static VhostUserProtocolException Refused(byte[] bytes, params SafeFileHandle[] fds) =>
        Assert.Throws<VhostUserProtocolException>(() => Parse(bytes, fds).Dispose());

    /// <summary>A raw message: a header with any flags and announced size, then <paramref name="payloadLength"/> zero bytes.</summary>
    internal static byte[] Header(uint request, uint flags, uint size, int payloadLength)
    {
        var bytes = new byte[VhostUserHeader.Length + payloadLength];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, request);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), size);
        return bytes;
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(2u)]
    [InlineData(3u)]
    public void WrongVersion_IsRefused(uint version) =>
        Assert.Equal(VhostUserProtocolError.BadVersion, Refused(Header(1, version, 0, 0)).Error);

    [Fact]
    public void OversizedPayload_IsRefusedFromTheHeader() =>
        Assert.Equal(VhostUserProtocolError.PayloadTooLarge,
            Assert.Throws<VhostUserProtocolException>(() => VhostUserCodec.ParseHeader(Header(5, 1, 4096, 0))).Error);

    [Fact]
    public void PayloadShorterThanAnnounced_IsRefused()
    {
        var bytes = Header((uint)VhostUserRequest.SetFeatures, 1, 8, 4);
        Assert.Equal(VhostUserProtocolError.SizeMismatch, Refused(bytes).Error);
    }

    [Theory]
    [InlineData(VhostUserRequest.SetFeatures, 4)]
    [InlineData(VhostUserRequest.GetFeatures, 8)]
    [InlineData(VhostUserRequest.SetVringNum, 16)]
    [InlineData(VhostUserRequest.SetVringAddr, 32)]
    [InlineData(VhostUserRequest.SetInflightFd, 20)]
    public void WrongSizeForTheRequest_IsRefused(VhostUserRequest request, int size) =>
        Assert.Equal(VhostUserProtocolError.SizeMismatch, Refused(Header((uint)request, 1, (uint)size, size)).Error);

    [Fact]
    public void MemoryTableWithTooManyRegions_IsRefusedAndItsFdsClosed()
    {
        var bytes = Header((uint)VhostUserRequest.SetMemTable, 1, 8 + (9 * 32), 8 + (9 * 32));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(VhostUserHeader.Length), 9);
        var fds = Enumerable.Range(0, 9).Select(_ => NewFd()).ToArray();
        Assert.Equal(VhostUserProtocolError.PayloadTooLarge,
            Assert.Throws<VhostUserProtocolException>(() => VhostUserCodec.ParseHeader(bytes)).Error);

        var header = new VhostUserHeader(VhostUserRequest.SetMemTable, VhostUserFlags.Version1, 8 + (9 * 32));
        var error = Assert.Throws<VhostUserProtocolException>(() => VhostUserCodec.Parse(header, bytes.AsSpan(VhostUserHeader.Length), fds));
        Assert.Equal(VhostUserProtocolError.TooManyRegions, error.Error);
        Assert.All(fds, fd => Assert.True(fd.IsClosed));
    }

    [Fact]
    public void MemoryTableWhoseCountDisagreesWithItsSize_IsRefused()
    {
        var bytes = Encode(VhostUserRequest.SetMemTable, new MemoryTablePayload([new(0, 4096, 0, 0), new(4096, 4096, 4096, 0)]));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(VhostUserHeader.Length), 1);
        Assert.Equal(VhostUserProtocolError.SizeMismatch, Refused(bytes, NewFd()).Error);
    }

    [Fact]
    public void FewerFdsThanRegions_IsRefusedAndTheFdClosed()
    {
        var fd = NewFd();
        var bytes = Encode(VhostUserRequest.SetMemTable, new MemoryTablePayload([new(0, 4096, 0, 0), new(4096, 4096, 4096, 0)]));
        Assert.Equal(VhostUserProtocolError.FdCountMismatch, Refused(bytes, fd).Error);
        Assert.True(fd.IsClosed);
    }

    [Fact]
    public void UnexpectedFd_IsRefused()
    {
        var fd = NewFd();
        Assert.Equal(VhostUserProtocolError.FdCountMismatch, Refused(Encode(VhostUserRequest.SetVringCall, new VringFdPayload(0, true)), fd).Error);
        Assert.True(fd.IsClosed);
        Assert.Equal(VhostUserProtocolError.FdCountMismatch, Refused(Encode(VhostUserRequest.SetVringKick, new VringFdPayload(0, false))).Error);
        Assert.Equal(VhostUserProtocolError.FdCountMismatch, Refused(Encode(VhostUserRequest.SetFeatures, new U64Payload(0)), NewFd()).Error);
    }

    [Fact]
    public void VringFdWithUndefinedBits_IsRefused()
    {
        var bytes = Encode(VhostUserRequest.SetVringKick, new U64Payload(0x200));
        Assert.Equal(VhostUserProtocolError.InvalidValue, Refused(bytes).Error);
    }

    [Fact]
    public void ConfigLargerThanTheConfigSpace_IsRefused()
    {
        var bytes = Header((uint)VhostUserRequest.GetConfig, 1, 12, 12);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(VhostUserHeader.Length + 4), 257);
        Assert.Equal(VhostUserProtocolError.InvalidValue, Refused(bytes).Error);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(6u)]
    [InlineData(20u)]
    [InlineData(99u)]
    public void UnsupportedRequests_AreRefused(uint request) =>
        Assert.Equal(VhostUserProtocolError.UnsupportedRequest, Refused(Header(request, 1, 0, 0)).Error);

    [Fact]
    public void RemMemRegWithAnFd_IsAcceptedAndTheFdClosed()
    {
        var fd = NewFd();
        using var message = Parse(Encode(VhostUserRequest.RemMemReg, new MemoryRegionPayload(new(0, 4096, 0, 0))), fd);
        Assert.Equal(0, message.FdCount);
        Assert.True(fd.IsClosed);
    }

    [Fact]
    public void Dispose_ClosesTheFdsNotTaken()
    {
        var fds = new[] { NewFd(), NewFd() };
        var message = Parse(Encode(VhostUserRequest.SetMemTable, new MemoryTablePayload([new(0, 4096, 0, 0), new(4096, 4096, 4096, 0)])), fds);
        var taken = message.TakeFd(0);
        Assert.Throws<InvalidOperationException>(() => message.TakeFd(0));
        message.Dispose();
        Assert.False(taken.IsClosed);
        Assert.True(fds[1].IsClosed);
        taken.Dispose();
    }
}
