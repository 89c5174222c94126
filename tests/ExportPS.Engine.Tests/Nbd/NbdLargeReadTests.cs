using System.Buffers.Binary;
using ExportPS.Engine.Block.Drivers;
using Xunit;
using static ExportPS.TestSupport.NbdTestClient;

namespace ExportPS.Engine.Tests.Nbd;

/// <summary>
/// Large READs from a memory node, across its chunks, seen byte by byte with the raw client: the data at any alignment,
/// holes for zero blocks and the chunk budget, in every reply mode.
/// </summary>
public sealed class NbdLargeReadTests
{
    private const int Chunk = MemoryBlockDriver.ChunkSize;

    /// <summary>Writes a layout of data, zero blocks, unallocated and zero chunks; returns the disk's expected content.</summary>
    private static byte[] WriteLayout(NbdTestClient client, int size)
    {
        var expected = new byte[size];
        void Put(int offset, int length, int seed)
        {
            var data = new byte[length];
            new Random(seed).NextBytes(data);
            data.CopyTo(expected, offset);
            Assert.Equal(0u, client.Command(CmdWrite, (ulong)offset, (ulong)length, payload: data));
        }

        Put(0, Chunk, 1);                       // chunk 0: all data
        Put((2 * Chunk) + 4096, 4096, 2);       // chunk 2: one data block between zero blocks
        Put((2 * Chunk) + 12288, 100, 3);       //          and a partly written block
        Assert.Equal(0u, client.Command(CmdWriteZeroes, 3 * Chunk, Chunk, FlagNoHole)); // chunk 3: allocated zeroes
        Put(4 * Chunk, (2 * Chunk) + 777, 4);   // chunks 4-6: data running into chunk 6
        return expected;                        // chunk 1 and the rest: never written
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void LargeReadsReturnTheDataAtAnyAlignmentInEveryReplyMode(bool structured, bool extended)
    {
        const int Size = 8 * Chunk;
        using var server = new NbdTestServer(size: Size);
        using var client = new NbdTestClient(server).Connect(structured: structured, extended: extended);
        var expected = WriteLayout(client, Size);

        foreach (var (offset, length) in new[] { (0, Size), (1000, Size - 3000), (Chunk - 1, (3 * Chunk) + 2), (2 * Chunk, Chunk) })
        {
            Assert.Equal(expected.AsSpan(offset, length).ToArray(), client.ReadData((ulong)offset, length));
            if (structured)
            {
                Assert.Equal(expected.AsSpan(offset, length).ToArray(), client.ReadData((ulong)offset, length, FlagDf));
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ChunksCoverTheRangeInOrderWithHolesForZeroBlocksAndOneDataChunkWithDf(bool extended)
    {
        const int Size = 8 * Chunk;
        using var server = new NbdTestServer(size: Size);
        using var client = new NbdTestClient(server).Connect(extended: extended);
        WriteLayout(client, Size);

        client.Request(CmdRead, 0, Size, cookie: 9);
        var reply = client.ReadReply();
        Assert.All(reply, c => Assert.Equal(9ul, c.Cookie));
        Assert.Equal(reply.Count - 1, reply.FindIndex(c => c.Done));
        AssertContiguous(reply, 0, Size);

        // chunk 0 data; chunks 1 and 2 up to the data block a hole; the data block; the zero block; the partly written
        // block as data; the rest of 2 and chunk 3 a hole; 4-6 data (the last 4 KiB block of the write's tail data too);
        // what follows a hole.
        var layout = reply.Select(c => (c.Type, Start(c), LengthOf(c))).ToArray();
        Assert.Equal((ReplyOffsetData, 0ul, (ulong)Chunk), layout[0]);
        Assert.Equal((ReplyOffsetHole, (ulong)Chunk, (ulong)(Chunk + 4096)), layout[1]);
        Assert.Equal((ReplyOffsetData, (ulong)((2 * Chunk) + 4096), 4096ul), layout[2]);
        Assert.Equal((ReplyOffsetHole, (ulong)((2 * Chunk) + 8192), 4096ul), layout[3]);
        Assert.Equal((ReplyOffsetData, (ulong)((2 * Chunk) + 12288), 4096ul), layout[4]);
        Assert.Equal(ReplyOffsetHole, layout[5].Type);
        Assert.Equal((ReplyOffsetData, (ulong)(4 * Chunk), (ulong)((2 * Chunk) + 4096)), layout[6]);
        Assert.Equal((ReplyOffsetHole, (ulong)((6 * Chunk) + 4096), (ulong)((2 * Chunk) - 4096)), layout[7]);
        Assert.Equal(8, reply.Count);

        client.Request(CmdRead, 0, Size, FlagDf);
        var whole = Assert.Single(client.ReadReply());
        Assert.Equal(ReplyOffsetData, whole.Type);
        Assert.Equal((0ul, (ulong)Size), (Start(whole), LengthOf(whole)));
    }

    [Fact]
    public void AReadOfManyAlternatingBlocksSplitsIntoAtMostSixteenChunksTheRestAsData()
    {
        const int Length = 4 * Chunk;
        using var server = new NbdTestServer(size: Length);
        using var client = new NbdTestClient(server).Connect();
        var expected = new byte[Length];
        for (int block = 0; block < Length / 4096; block += 2)
        {
            expected.AsSpan(block * 4096, 4096).Fill((byte)(block + 1));
            Assert.Equal(0u, client.Command(CmdWrite, (ulong)(block * 4096), 4096, payload: expected.AsSpan(block * 4096, 4096)));
        }

        client.Request(CmdRead, 0, Length);
        var reply = client.ReadReply();
        // 32 alternating blocks: split while the budget lasts (a hole needs room for the data chunk after it).
        Assert.InRange(reply.Count, 15, 16);
        Assert.Equal(ReplyOffsetData, reply[^1].Type);
        AssertContiguous(reply, 0, Length);
        Assert.Equal(expected, client.ReadData(0, Length));
    }

    [Fact]
    public void PipelinedReadsLargerThanTheSocketBuffersArriveWholeAndInTheirOwnReplies()
    {
        const int Size = 64 << 20;
        using var server = new NbdTestServer(size: Size);
        using var client = new NbdTestClient(server).Connect();
        var data = new byte[Size];
        new Random(11).NextBytes(data);
        Assert.Equal(0u, client.Command(CmdWrite, 0, Size / 2, payload: data.AsSpan(0, Size / 2)));
        Assert.Equal(0u, client.Command(CmdWrite, Size / 2, Size / 2, payload: data.AsSpan(Size / 2)));

        // Sent together, read afterwards: the server's sends fill the socket and have to wait for the client.
        const int Read = 32 << 20;
        client.Request(CmdRead, 0, Read, cookie: 1);
        client.Request(CmdRead, Read, Read, cookie: 2);
        var received = new byte[Size];
        for (int i = 0; i < 2; i++)
        {
            var reply = client.ReadReply();
            var chunk = Assert.Single(reply);
            Assert.Equal(ReplyOffsetData, chunk.Type);
            chunk.Payload.AsSpan(8).CopyTo(received.AsSpan((int)Start(chunk)));
        }

        Assert.True(received.AsSpan().SequenceEqual(data), "the replies differ from the data written");
    }

    private static ulong Start(Chunk chunk) => BinaryPrimitives.ReadUInt64BigEndian(chunk.Payload);

    private static ulong LengthOf(Chunk chunk) => chunk.Type == ReplyOffsetHole
        ? BinaryPrimitives.ReadUInt32BigEndian(chunk.Payload.AsSpan(8))
        : (ulong)(chunk.Payload.Length - 8);

    private static void AssertContiguous(List<Chunk> reply, ulong offset, ulong length)
    {
        foreach (var chunk in reply)
        {
            Assert.Equal(offset, Start(chunk));
            offset += LengthOf(chunk);
        }

        Assert.Equal(length, offset - Start(reply[0]));
    }
}
