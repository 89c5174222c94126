using System.Diagnostics;
using ExportPS.Engine.Exports.Nbd;
using Xunit;
using static ExportPS.TestSupport.NbdTestClient;

namespace ExportPS.Engine.Tests.Nbd;

/// <summary>
/// A client that sends more bulk reads than it reads replies for: the server stops reading its requests once their
/// data reaches the connection's limit, so the data waits in the client's socket, not in server memory, and every
/// reply still arrives once the client reads.
/// </summary>
public sealed class NbdBackPressureTests
{
    private const int Bulk = 1 << 20;
    private const int Requests = 48;

    [Fact]
    public void PipelinedBulkReadsHoldNoMoreThanTheLimitAndAllArrive()
    {
        using var server = new ScriptedNbdServer(size: Requests * (long)Bulk);
        using var client = new NbdTestClient(server.EndPoint).Connect(structured: false);
        var connection = Assert.Single(server.Connections);
        var data = new byte[Requests * Bulk];
        new Random(5).NextBytes(data);
        for (int i = 0; i < Requests; i++)
        {
            Assert.Equal(0u, client.Command(CmdWrite, (ulong)(i * Bulk), Bulk, payload: data.AsSpan(i * Bulk, Bulk)));
        }

        for (int i = 0; i < Requests; i++)
        {
            client.Request(CmdRead, (ulong)(i * Bulk), Bulk, cookie: (ulong)i);
        }

        // The server reads requests until their data reaches the limit; the one that crosses it is the last it starts.
        long held = WaitUntilSteady(() => connection.HeldBytes);
        Assert.InRange(held, NbdConnection.HeldBytesLimit, NbdConnection.HeldBytesLimit + Bulk);

        var received = new byte[data.Length];
        for (int i = 0; i < Requests; i++)
        {
            var reply = client.ReadChunk(simpleReadLength: Bulk);
            Assert.Equal(0u, reply.Error);
            reply.Payload.AsSpan(4).CopyTo(received.AsSpan((int)reply.Cookie * Bulk));
        }

        Assert.True(received.AsSpan().SequenceEqual(data), "the replies differ from the data written");
        Assert.Equal(0, WaitUntilSteady(() => connection.HeldBytes));
    }

    /// <summary>The value once it has not changed for 300 ms (at most 10 s).</summary>
    private static long WaitUntilSteady(Func<long> read)
    {
        var clock = Stopwatch.StartNew();
        long value = read();
        var since = clock.Elapsed;
        while (clock.Elapsed - since < TimeSpan.FromMilliseconds(300) && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(20);
            long now = read();
            if (now != value)
            {
                (value, since) = (now, clock.Elapsed);
            }
        }

        return value;
    }
}
