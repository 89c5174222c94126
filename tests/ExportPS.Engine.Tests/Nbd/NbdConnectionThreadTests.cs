using System.Diagnostics;
using ExportPS.Engine.Exports.Nbd;
using Xunit;

namespace ExportPS.Engine.Tests.Nbd;

/// <summary>
/// The first <see cref="NbdServer.ThreadedConnections"/> connections of a server each run on a thread of their own that
/// blocks in recv; later ones share the socket event loop. Both kinds must serve the same protocol, time out a silent
/// handshake, and a closed connection must give its thread back. Runs alone: it counts the process's threads.
/// </summary>
[Collection(NbdSerialCollection.Name)]
public sealed class NbdConnectionThreadTests
{
    private const int BlockSize = 4096;
    private const int Depth = 16;
    private const string ThreadName = "nbd-connection";

    [Fact]
    public void TheFirstConnectionsGetAThreadEachAndGiveItBackWhenTheyClose()
    {
        using var server = new NbdTestServer();
        var clients = new List<RawNbdClient>();
        try
        {
            for (int i = 0; i < NbdServer.ThreadedConnections + 8; i++)
            {
                clients.Add(new RawNbdClient(server).Connect());
            }

            Assert.True(WaitForThreads(NbdServer.ThreadedConnections), $"{ConnectionThreads()} connection threads, expected {NbdServer.ThreadedConnections}");
            foreach (var (client, index) in clients.Select((c, i) => (c, i)))
            {
                var data = Pattern(index);
                Assert.Equal(0u, client.Command(RawNbdClient.CmdWrite, (ulong)(index * BlockSize), BlockSize, payload: data));
                Assert.Equal(data, client.ReadData((ulong)(index * BlockSize), BlockSize));
            }
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }

        Assert.True(WaitForThreads(0), $"{ConnectionThreads()} connection threads are left after every client closed");

        // The slots are free again: a new client gets a thread.
        using var again = new RawNbdClient(server).Connect();
        Assert.True(WaitForThreads(1), $"{ConnectionThreads()} connection threads for one new client");
    }

    /// <summary>Pipelined writes and reads, replies out of order, on a threaded connection and on one of the event loop.</summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void PipelinedRequestsRoundTripOnBothKindsOfConnection(bool eventLoop, bool extended)
    {
        using var server = new NbdTestServer();
        var idle = eventLoop ? server.OccupyConnectionThreads() : [];
        try
        {
            using var client = new RawNbdClient(server).Connect(extended: extended);
            for (int round = 0; round < 20; round++)
            {
                for (int i = 0; i < Depth; i++)
                {
                    client.Request(RawNbdClient.CmdWrite, (ulong)(i * BlockSize), BlockSize, cookie: (ulong)i, payload: Pattern(i + round));
                }

                var cookies = Enumerable.Range(0, Depth).Select(_ => client.ReadChunk().Cookie).Order().ToArray();
                Assert.Equal(Enumerable.Range(0, Depth).Select(i => (ulong)i), cookies);
                for (int i = 0; i < Depth; i++)
                {
                    Assert.Equal(Pattern(i + round), client.ReadData((ulong)(i * BlockSize), BlockSize));
                }
            }
        }
        finally
        {
            idle.ForEach(c => c.Dispose());
        }
    }

    /// <summary>A client that connects and then says nothing is dropped after the 10 s handshake limit, whatever kind its connection is.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ASilentClientIsDroppedAfterTheHandshakeTimeout(bool eventLoop)
    {
        using var server = new NbdTestServer();
        var idle = eventLoop ? server.OccupyConnectionThreads() : [];
        try
        {
            using var silent = new RawNbdClient(server, TimeSpan.FromSeconds(20));
            silent.Receive(18); // the greeting; then nothing
            var clock = Stopwatch.StartNew();
            Assert.True(silent.WaitClosed(), "the server kept a silent client for 20 s");
            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(15));
        }
        finally
        {
            idle.ForEach(c => c.Dispose());
        }
    }

    private static bool WaitForThreads(int count) => SpinWait.SpinUntil(() => ConnectionThreads() == count, TimeSpan.FromSeconds(10));

    /// <summary>Threads of this process named as the server names connection threads (Linux shows .NET thread names in comm).</summary>
    private static int ConnectionThreads() =>
        Directory.EnumerateDirectories("/proc/self/task").Count(task =>
        {
            try
            {
                return File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') == ThreadName;
            }
            catch (IOException)
            {
                return false; // the thread ended while we looked
            }
        });

    private static byte[] Pattern(int index) => Enumerable.Range(0, BlockSize).Select(b => (byte)((b * 7) + (index * 13))).ToArray();
}
