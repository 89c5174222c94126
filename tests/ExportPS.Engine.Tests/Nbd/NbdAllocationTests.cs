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

    /// <summary>On a connection with its own thread, and on one of the socket event loop (every thread taken).</summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void SteadyStateRequestsAllocateUnder64BytesEach(bool extended, bool eventLoop)
    {
        using var server = new NbdTestServer();
        var idle = eventLoop ? server.OccupyConnectionThreads() : [];
        using var client = new RawNbdClient(server).Connect(extended: extended);
        var (batch, replyLength) = BuildBatch(extended);
        var replies = new byte[replyLength];

        // Requests in flight together may run in any order, so the reads go to an area no write of the batch touches.
        for (int i = 0; i < Depth; i++)
        {
            Assert.Equal(0u, client.Command(RawNbdClient.CmdWrite, (ulong)((Depth + i) * BlockSize), BlockSize, payload: Pattern(i)));
        }

        void Run(int batches)
        {
            for (int i = 0; i < batches; i++)
            {
                client.Send(batch);
                client.Receive(replies);
            }
        }

        Run(500);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        const int Batches = 2000;
        long before = GC.GetTotalAllocatedBytes(precise: true);
        Run(Batches);
        long after = GC.GetTotalAllocatedBytes(precise: true);

        double perRequest = (after - before) / (double)(Batches * Depth * 2);
        Assert.True(perRequest < 64, $"{perRequest:F1} bytes allocated per request (limit 64)");

        // And the traffic was real: the last reads returned what the writes stored.
        for (int i = 0; i < Depth; i++)
        {
            Assert.Equal(Pattern(i), client.ReadData((ulong)(i * BlockSize), BlockSize));
        }

        idle.ForEach(c => c.Dispose());
    }

    private static byte[] Pattern(int index) => Enumerable.Range(0, BlockSize).Select(b => (byte)(b + (index * 31))).ToArray();

    /// <summary>Depth writes of 4 KiB to [0, 32K) and Depth reads from [32K, 64K), pipelined; and the total length of their replies.</summary>
    private static (byte[] Batch, int ReplyLength) BuildBatch(bool extended)
    {
        int header = extended ? 32 : 28;
        var stream = new MemoryStream();
        for (int i = 0; i < Depth; i++)
        {
            stream.Write(Header(RawNbdClient.CmdWrite, (ulong)i, (ulong)(i * BlockSize)));
            stream.Write(Pattern(i));
            stream.Write(Header(RawNbdClient.CmdRead, (ulong)(Depth + i), (ulong)((Depth + i) * BlockSize)));
        }

        int writeReply = extended ? 32 : 16;
        int readReply = (extended ? 32 : 20) + 8 + BlockSize;
        return (stream.ToArray(), Depth * (writeReply + readReply));

        byte[] Header(ushort type, ulong cookie, ulong offset)
        {
            var bytes = new byte[header];
            BinaryPrimitives.WriteUInt32BigEndian(bytes, extended ? RawNbdClient.ExtendedRequestMagic : RawNbdClient.RequestMagic);
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(6), type);
            BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(8), cookie);
            BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(16), offset);
            if (extended)
            {
                BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(24), BlockSize);
            }
            else
            {
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(24), BlockSize);
            }

            return bytes;
        }
    }
}
