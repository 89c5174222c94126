using System.Buffers.Binary;
using Xunit;

namespace ExportPS.Engine.Tests.Nbd;

/// <summary>Runs alone: it counts the bytes the whole process allocates, so no other test may run meanwhile.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NbdSerialCollection
{
    public const string Name = "NBD serial";
}

/// <summary>
/// The data path allocates nothing per request in steady state: pooled request objects, rented buffers, pooled async
/// state machines. Allocation counts are deterministic, so this is a real assertion (timings never are).
/// </summary>
[Collection(NbdSerialCollection.Name)]
public sealed class NbdAllocationTests
{
    private const int Depth = 8;
    private const int BlockSize = 4096;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SteadyStateRequestsAllocateUnder64BytesEach(bool extended)
    {
        using var server = new NbdTestServer();
        using var client = new NbdTestClient(server).Connect(extended: extended);
        var (batch, replyLength) = BuildBatch(extended);

        // Requests in flight together may run in any order, so the reads go to an area no write of the batch touches.
        for (int i = 0; i < Depth; i++)
        {
            Assert.Equal(0u, client.Command(NbdTestClient.CmdWrite, (ulong)((Depth + i) * BlockSize), BlockSize, payload: Pattern(i)));
        }

        double perRequest = AllocatedPerRequest(client, batch, replyLength, Depth * 2);
        Assert.True(perRequest < 64, $"{perRequest:F1} bytes allocated per request (limit 64)");

        // And the traffic was real: the last reads returned what the writes stored.
        for (int i = 0; i < Depth; i++)
        {
            Assert.Equal(Pattern(i), client.ReadData((ulong)(i * BlockSize), BlockSize));
        }
    }

    /// <summary>BLOCK_STATUS of base:allocation with REQ_ONE, as backup tools poll it: the reply is composed in rented buffers.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BlockStatusRequestsAllocateUnder64BytesEach(bool extended)
    {
        using var server = new NbdTestServer();
        using var client = new NbdTestClient(server).Connect(extended: extended, contexts: "base:allocation");
        Assert.Equal(0u, client.Command(NbdTestClient.CmdWrite, 0, BlockSize, payload: Pattern(1)));
        var stream = new MemoryStream();
        for (int i = 0; i < Depth; i++)
        {
            stream.Write(Header(extended, NbdTestClient.CmdBlockStatus, (ulong)i, (ulong)(i * BlockSize), NbdTestClient.FlagReqOne));
        }

        // One chunk each: header, context id (and extent count when extended), one extent.
        int reply = extended ? 32 + 8 + 16 : 20 + 4 + 8;
        double perRequest = AllocatedPerRequest(client, stream.ToArray(), Depth * reply, Depth);
        Assert.True(perRequest < 64, $"{perRequest:F1} bytes allocated per request (limit 64)");

        // And the answers were real: block 0 (written) is data, a block 1 MiB on (past the memory driver's 64 KiB
        // allocation unit) a hole that reads as zeroes.
        Assert.Equal((BlockSize, 0u), FirstExtent(client, 0));
        Assert.Equal((BlockSize, 3u), FirstExtent(client, 1 << 20));
    }

    /// <summary>
    /// 256 KiB reads as nbdcopy makes them, copied into pooled buffers. The shared array pool hands its arrays between
    /// threads and now and then allocates a new one (a few 512 KiB arrays per 8,000 reads seen), so the bound here is 1%
    /// of the data moved rather than the 64 bytes the small requests meet.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BulkReadsAllocateUnderOnePercentOfTheirData(bool extended)
    {
        const int Bulk = 256 * 1024;
        using var server = new NbdTestServer();
        using var client = new NbdTestClient(server).Connect(extended: extended);
        var data = new byte[Depth * Bulk];
        new Random(3).NextBytes(data);
        Assert.Equal(0u, client.Command(NbdTestClient.CmdWrite, 0, (ulong)data.Length, payload: data));
        var stream = new MemoryStream();
        for (int i = 0; i < Depth; i++)
        {
            stream.Write(NbdTestClient.RequestHeader(extended, NbdTestClient.CmdRead, (ulong)(i * Bulk), Bulk, cookie: (ulong)i));
        }

        // One data chunk each: header, offset, data.
        int reply = (extended ? 32 : 20) + 8 + Bulk;
        double perRequest = AllocatedPerRequest(client, stream.ToArray(), Depth * reply, Depth, batches: 1000);
        Assert.True(perRequest < Bulk / 100, $"{perRequest:F1} bytes allocated per request (limit {Bulk / 100})");
        Assert.Equal(data.AsSpan(Bulk, Bulk).ToArray(), client.ReadData(Bulk, Bulk));
    }

    private static (long Length, uint Flags) FirstExtent(NbdTestClient client, ulong offset)
    {
        client.Request(NbdTestClient.CmdBlockStatus, offset, BlockSize, NbdTestClient.FlagReqOne);
        var payload = client.ReadReply().Single().Payload;
        return client.Extended
            ? ((long)BinaryPrimitives.ReadUInt64BigEndian(payload.AsSpan(8)), (uint)BinaryPrimitives.ReadUInt64BigEndian(payload.AsSpan(16)))
            : (BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(4)), BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(8)));
    }

    /// <summary>Sends the batch until warm, then measures what the whole process allocates per request over <paramref name="batches"/> batches.</summary>
    private static double AllocatedPerRequest(NbdTestClient client, byte[] batch, int replyLength, int requestsPerBatch, int batches = 2000)
    {
        var replies = new byte[replyLength];
        void Run(int batches)
        {
            for (int i = 0; i < batches; i++)
            {
                client.Send(batch);
                client.Receive(replies);
            }
        }

        Run(batches / 4);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = GC.GetTotalAllocatedBytes(precise: true);
        Run(batches);
        long after = GC.GetTotalAllocatedBytes(precise: true);
        return (after - before) / (double)(batches * requestsPerBatch);
    }

    private static byte[] Pattern(int index) => Enumerable.Range(0, BlockSize).Select(b => (byte)(b + (index * 31))).ToArray();

    /// <summary>Depth writes of 4 KiB to [0, 32K) and Depth reads from [32K, 64K), pipelined; and the total length of their replies.</summary>
    private static (byte[] Batch, int ReplyLength) BuildBatch(bool extended)
    {
        var stream = new MemoryStream();
        for (int i = 0; i < Depth; i++)
        {
            stream.Write(Header(extended, NbdTestClient.CmdWrite, (ulong)i, (ulong)(i * BlockSize)));
            stream.Write(Pattern(i));
            stream.Write(Header(extended, NbdTestClient.CmdRead, (ulong)(Depth + i), (ulong)((Depth + i) * BlockSize)));
        }

        int writeReply = extended ? 32 : 16;
        int readReply = (extended ? 32 : 20) + 8 + BlockSize;
        return (stream.ToArray(), Depth * (writeReply + readReply));
    }

    private static byte[] Header(bool extended, ushort type, ulong cookie, ulong offset, ushort flags = 0) =>
        NbdTestClient.RequestHeader(extended, type, offset, BlockSize, flags, cookie);
}
