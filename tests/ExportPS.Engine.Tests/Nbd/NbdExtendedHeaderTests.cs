using System.Buffers.Binary;
using ExportPS.Engine.Model;
using Xunit;
using static ExportPS.TestSupport.NbdTestClient;

namespace ExportPS.Engine.Tests.Nbd;

/// <summary>
/// NBD_OPT_EXTENDED_HEADERS (64-bit requests and replies), checked with the raw client: no peer on this machine speaks it.
/// Once negotiated, every reply is an extended chunk; a simple reply would be a protocol violation.
/// </summary>
public sealed class NbdExtendedHeaderTests
{
    private const ushort FlagBlockStatusPayload = 1 << 12;

    [Fact]
    public void NegotiationRules()
    {
        using var server = new NbdTestServer();
        using var client = new NbdTestClient(server);
        client.Greet();
        client.SendOption(OptExtendedHeaders, new byte[1]);
        Assert.Equal(RepErrInvalid, client.ReadOptionReply().Type);
        Assert.Equal(RepAck, client.Negotiate(OptExtendedHeaders));
        Assert.Equal(RepErrInvalid, client.Negotiate(OptExtendedHeaders));
        Assert.Equal(RepErrExtHeaderReqd, client.Negotiate(OptStructuredReply));
        Assert.Equal(RepAck, client.Go());
        Assert.True((client.TransmissionFlags & FlagBlockStatusPayload) != 0, "BLOCK_STATUS payload is advertised with extended headers");

        using var plain = new NbdTestClient(server).Connect();
        Assert.True((plain.TransmissionFlags & FlagBlockStatusPayload) == 0, "and only then");
    }

    [Fact]
    public void EveryReplyIsAnExtendedChunkEchoingCookieAndOffset()
    {
        using var server = new NbdTestServer();
        using var client = new NbdTestClient(server).Connect(extended: true);
        var replies = new List<Chunk>();

        void Run(ushort type, ulong offset, ulong length, ushort flags = 0, byte[]? payload = null)
        {
            client.Request(type, offset, length, flags, cookie: 0x1122334455667788, payload: payload);
            var reply = client.ReadReply();
            Assert.All(reply, c =>
            {
                Assert.Equal(ExtendedReplyMagic, c.Magic);
                Assert.Equal(0x1122334455667788ul, c.Cookie);
                Assert.Equal(offset, c.Offset);
            });
            replies.AddRange(reply);
        }

        Run(CmdWrite, 4096, 4, FlagPayloadLen, "data"u8.ToArray());
        Run(CmdWrite, 8192, 4, 0, "more"u8.ToArray());
        Run(CmdRead, 4096, 4);
        Run(CmdFlush, 0, 0);
        Run(CmdTrim, 65536, 65536);
        Run(CmdWriteZeroes, 131072, 65536, FlagNoHole);
        Run(CmdCache, 0, 4096);
        Run(CmdRead, NbdTestServer.DefaultSize, 1); // error

        Assert.DoesNotContain(replies, c => c.Magic == SimpleReplyMagic);
        Assert.Equal(ReplyNone, replies[0].Type);
        Assert.Equal("data"u8.ToArray(), replies.Single(c => c.Type == ReplyOffsetData).Payload.AsSpan(8).ToArray());
        Assert.Equal(EInval, replies[^1].Error);
        Assert.Contains("beyond the end", replies[^1].Message);
    }

    [Fact]
    public void SixtyFourBitLengthsForTrimZeroAndBlockStatus()
    {
        const long Size = 12L << 30; // sparse memory: nothing is allocated until written
        using var server = new NbdTestServer(size: Size);
        using var client = new NbdTestClient(server).Connect(extended: true, contexts: ["base:allocation"]);
        Assert.Equal(0u, client.Command(CmdWrite, 0, 4096, payload: new byte[4096].Select(_ => (byte)1).ToArray()));
        Assert.Equal(0u, client.Command(CmdWrite, 10L << 30, 4096, payload: new byte[4096].Select(_ => (byte)2).ToArray()));

        client.Request(CmdBlockStatus, 0, 11L << 30);
        var status = client.ReadReply().Single();
        Assert.Equal(ReplyBlockStatusExt, status.Type);
        var extents = Extents64(status.Payload);
        Assert.Equal([(65536L, 0ul), ((10L << 30) - 65536, 3ul), (65536L, 0ul)], extents.Take(3));
        Assert.True(extents[1].Length > uint.MaxValue, "an extent longer than 4 GiB is sent whole");

        Assert.Equal(0u, client.Command(CmdWriteZeroes, 0, (ulong)Size));
        client.Request(CmdBlockStatus, 0, (ulong)Size, FlagReqOne);
        var zeroed = Extents64(client.ReadReply().Single().Payload);
        Assert.Single(zeroed);
        Assert.Equal(Size, zeroed[0].Length);
        Assert.Equal(0u, client.Command(CmdTrim, 0, (ulong)Size));
    }

    [Fact]
    public void BlockStatusPayloadSelectsContexts()
    {
        using var server = new NbdTestServer(configure: o => o with { Nbd = o.Nbd with { AllocationDepth = true } });
        using var client = new NbdTestClient(server);
        client.Greet();
        Assert.Equal(RepAck, client.Negotiate(OptExtendedHeaders));
        var (selected, final) = client.MetaContexts(OptSetMetaContext, "disk", "base:allocation", "qemu:allocation-depth");
        Assert.Equal(RepAck, final);
        Assert.Equal(RepAck, client.Go());
        uint depthId = selected.Single(c => c.Name == "qemu:allocation-depth").Id;

        client.Request(CmdBlockStatus, 0, 12, FlagPayloadLen, payload: StatusPayload(1 << 20, depthId));
        var only = client.ReadReply();
        Assert.Equal([depthId], only.Select(c => BinaryPrimitives.ReadUInt32BigEndian(c.Payload)));
        Assert.Equal([(1L << 20, 0ul)], Extents64(only[0].Payload));

        client.Request(CmdBlockStatus, 0, 0);
        Assert.Equal(EInval, ErrorOf(client.ReadReply()));
        Assert.Equal(EInval, client.Command(CmdBlockStatus, 0, 12, FlagPayloadLen, StatusPayload(4096, 999)));
        Assert.Equal(EInval, client.Command(CmdBlockStatus, 0, 5, FlagPayloadLen, new byte[5]));
        Assert.Equal(EInval, client.Command(CmdRead, 0, 8, FlagPayloadLen, new byte[8]));

        client.Request(CmdBlockStatus, 0, 4096);
        Assert.Equal(2, client.ReadReply().Count);
    }

    [Fact]
    public void CompactRequestAfterNegotiationIsAProtocolViolation()
    {
        using var server = new NbdTestServer();
        using var client = new NbdTestClient(server).Connect(extended: true);
        var compact = new byte[32]; // a compact header padded to the extended size: the magic gives it away
        BinaryPrimitives.WriteUInt32BigEndian(compact, RequestMagic);
        client.Send(compact);
        Assert.True(client.WaitClosed());
    }

    private static byte[] StatusPayload(ulong effectLength, params uint[] ids)
    {
        var payload = new byte[8 + (4 * ids.Length)];
        BinaryPrimitives.WriteUInt64BigEndian(payload, effectLength);
        for (int i = 0; i < ids.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(8 + (4 * i)), ids[i]);
        }

        return payload;
    }

    /// <summary>BLOCK_STATUS_EXT payload: context id, count, then (64-bit length, 64-bit flags) pairs.</summary>
    internal static List<(long Length, ulong Flags)> Extents64(byte[] payload)
    {
        int count = BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(4));
        Assert.Equal(8 + (16 * count), payload.Length);
        var extents = new List<(long, ulong)>();
        for (int i = 0; i < count; i++)
        {
            extents.Add((BinaryPrimitives.ReadInt64BigEndian(payload.AsSpan(8 + (16 * i))), BinaryPrimitives.ReadUInt64BigEndian(payload.AsSpan(16 + (16 * i)))));
        }

        return extents;
    }
}
