using System.Buffers.Binary;
using Xunit;
using static ExportPS.TestSupport.NbdTestClient;

namespace ExportPS.Engine.Tests.Nbd;

/// <summary>Reply shapes, errno mapping and concurrency, seen byte by byte with the raw client.</summary>
public sealed class NbdTransmissionTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DriverFailuresMapToEioEnospcAndEnotsupAndTheConnectionGoesOn(bool structured)
    {
        using var server = new ScriptedNbdServer();
        server.Driver.FailReadsFrom = 512 * 1024;
        server.Driver.FullFrom = 768 * 1024;
        using var client = server.Connect(structured);

        client.Request(CmdRead, 600 * 1024, 4096);
        var failedRead = client.ReadReply(4096);
        Assert.Equal(EIo, ErrorOf(failedRead));
        if (structured)
        {
            Assert.Equal(ReplyErrorOffset, failedRead[^1].Type);
            Assert.Equal(600ul * 1024, failedRead[^1].ErrorOffset);
            Assert.Contains("scripted read failure", failedRead[^1].Message);
        }

        Assert.Equal(ENoSpc, client.Command(CmdWrite, 800 * 1024, 4096, payload: new byte[4096]));
        Assert.Equal(ENotSup, client.Command(CmdWriteZeroes, 0, 4096, FlagFastZero));
        Assert.Equal(0u, client.Command(CmdWriteZeroes, 0, 4096));
        Assert.Equal(0u, client.Command(CmdWrite, 0, 3, payload: "abc"u8));
        Assert.Equal("abc"u8.ToArray(), client.ReadData(0, 3));
    }

    [Fact]
    public void ASlowRequestDoesNotHoldBackTheNextAndRepliesComeOutOfOrder()
    {
        using var server = new ScriptedNbdServer();
        server.Driver.SlowOffset = 65536;
        using var client = server.Connect();
        Assert.Equal(0u, client.Command(CmdWrite, 65536, 4, payload: "slow"u8));
        client.Request(CmdRead, 65536, 4096, cookie: 1);
        client.Request(CmdWrite, 0, 4, cookie: 2, payload: "fast"u8);
        Assert.Equal(2ul, client.ReadReply().Single().Cookie);
        client.Request(CmdRead, 0, 4, cookie: 3);
        var fast = client.ReadReply().Single();
        Assert.Equal(3ul, fast.Cookie);
        Assert.Equal("fast"u8.ToArray(), fast.Payload.AsSpan(8).ToArray());

        server.Driver.ReleaseSlowRead();
        var slow = client.ReadReply();
        Assert.Equal(1ul, slow[0].Cookie);
        Assert.Equal(ReplyOffsetData, slow[0].Type);
    }

    [Fact]
    public void StructuredReadSendsZeroAreasAsHolesAndDataBehindItsOffset()
    {
        using var server = new NbdTestServer();
        using var client = new NbdTestClient(server).Connect();
        Assert.Equal(0u, client.Command(CmdWrite, 65536, 4096, payload: Enumerable.Repeat((byte)0xee, 4096).ToArray()));

        client.Request(CmdRead, 0, 3 * 65536);
        var reply = client.ReadReply();
        Assert.Equal([ReplyOffsetHole, ReplyOffsetData, ReplyOffsetHole], reply.Select(c => c.Type));
        Assert.Equal([0ul, 65536ul, 69632ul], reply.Select(c => BinaryPrimitives.ReadUInt64BigEndian(c.Payload)));
        Assert.Equal(12, reply[0].Payload.Length);
        Assert.Equal(65536, BinaryPrimitives.ReadInt32BigEndian(reply[0].Payload.AsSpan(8)));
        Assert.Equal(8 + 4096, reply[1].Payload.Length);
        Assert.True(reply[1].Payload.AsSpan(8).ToArray().All(b => b == 0xee));
        Assert.Equal((3 * 65536) - 69632, BinaryPrimitives.ReadInt32BigEndian(reply[2].Payload.AsSpan(8)));
        Assert.Equal([false, false, true], reply.Select(c => c.Done));

        // DF: one data chunk, zeroes included.
        client.Request(CmdRead, 0, 3 * 65536, FlagDf);
        var whole = client.ReadReply();
        Assert.Single(whole);
        Assert.Equal(ReplyOffsetData, whole[0].Type);
        Assert.Equal(8 + (3 * 65536), whole[0].Payload.Length);
    }

    [Fact]
    public void RequestsUpTo64MiBAreAcceptedAndLargerReadsRefused()
    {
        using var server = new NbdTestServer(size: 80L << 20);
        using var client = new NbdTestClient(server).Connect(structured: false);
        var big = new byte[64 << 20];
        big[^1] = 0x5a;
        Assert.Equal(0u, client.Command(CmdWrite, 0, (ulong)big.Length, payload: big));
        var back = client.ReadData(0, 64 << 20);
        Assert.Equal(0x5a, back[^1]);

        client.Request(CmdRead, 0, (64 << 20) + 1);
        Assert.Equal(EInval, ErrorOf(client.ReadReply()));
        Assert.Equal(0u, client.Command(CmdFlush, 0, 0));
    }

    [Fact]
    public void WritethroughAndFuaWritesStillRoundTrip()
    {
        using var server = new NbdTestServer(configure: o => o with { Writethrough = true });
        using var client = new NbdTestClient(server).Connect();
        Assert.Equal(0u, client.Command(CmdWrite, 4096, 5, FlagFua, "hello"u8));
        Assert.Equal(0u, client.Command(CmdTrim, 8192, 4096, FlagFua));
        Assert.Equal("hello"u8.ToArray(), client.ReadData(4096, 5));
        Assert.True(server.Engine.GetBlockExports().Single().Writethrough);
    }

    /// <summary>
    /// QEMU's writethrough is FUA on every write: each write reaches the disk once, durable, with no second flush; a
    /// write-back export passes FUA on only when the client asks; a write-back FLUSH is one flush.
    /// </summary>
    [Theory]
    [InlineData(true, 0, "write+fua")]
    [InlineData(true, FlagFua, "write+fua")]
    [InlineData(false, 0, "write")]
    [InlineData(false, FlagFua, "write+fua")]
    public void WritesAreMadeDurableExactlyOnceAsWritethroughAndFuaAsk(bool writethrough, ushort flags, string expected)
    {
        using var server = new ScriptedNbdServer(writethrough: writethrough);
        using var client = server.Connect();
        Assert.Equal(0u, client.Command(CmdWrite, 0, 4, flags, "data"u8));
        Assert.Equal(0u, client.Command(CmdFlush, 0, 0));
        Assert.Equal([expected, "flush"], server.Driver.Durability.ToArray());
    }

    /// <summary>Trim and write-zeroes go through the export's I/O policy too: flushed when writethrough or FUA ask for it.</summary>
    [Theory]
    [InlineData(false, CmdTrim, 0, "discard")]
    [InlineData(false, CmdTrim, FlagFua, "discard,flush")]
    [InlineData(true, CmdTrim, 0, "discard,flush")]
    [InlineData(false, CmdWriteZeroes, 0, "zero")]
    [InlineData(false, CmdWriteZeroes, FlagFua, "zero,flush")]
    [InlineData(true, CmdWriteZeroes, 0, "zero,flush")]
    public void TrimAndWriteZeroesAreFlushedAsWritethroughAndFuaAsk(bool writethrough, ushort command, ushort flags, string expected)
    {
        using var server = new ScriptedNbdServer(writethrough: writethrough);
        using var client = server.Connect();
        Assert.Equal(0u, client.Command(command, 0, 4096, flags));
        Assert.Equal(expected.Split(','), server.Driver.Durability.ToArray());
    }
}
