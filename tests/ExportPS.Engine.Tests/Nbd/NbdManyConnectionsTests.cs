using System.Diagnostics;
using System.Runtime.InteropServices;
using Xunit;
using Xunit.Abstractions;

namespace ExportPS.Engine.Tests.Nbd;

/// <summary>
/// A thousand clients on one export at once, over a unix socket: every handshake and every read is served, and memory
/// grows by a bounded, roughly constant amount per connection. Each connection costs two descriptors in this process
/// (client and server side), so the test needs a descriptor limit of about 2,100; it raises the soft limit to the hard
/// one when it has to. Runs alone: it measures the whole process's memory.
/// </summary>
[Collection(NbdSerialCollection.Name)]
public sealed class NbdManyConnectionsTests(ITestOutputHelper output)
{
    private const int Connections = 1000;
    private const int BlockSize = 4096;
    private const int Blocks = 256;

    /// <summary>
    /// Per connection: the server's 64 KiB receive buffer dominates; the connection, its sender, both sockets and their
    /// async contexts add a few KiB. Twice the buffer leaves room for allocator slack without hiding a leak of whole
    /// request buffers (a second 64 KiB per connection would fail it).
    /// </summary>
    private const long ManagedBytesPerConnection = 128 << 10;

    /// <summary>Resident memory also holds native socket state and GC heap slack: a looser bound of the same order.</summary>
    private const long ResidentBytesPerConnection = 256 << 10;

    [Fact]
    public void AThousandConcurrentClientsAreAllServed()
    {
        RequireDescriptors((2 * Connections) + 200);
        using var server = new NbdTestServer(unix: true);
        using (var writer = new NbdTestClient(server).Connect())
        {
            for (int block = 0; block < Blocks; block++)
            {
                Assert.Equal(0u, writer.Command(NbdTestClient.CmdWrite, (ulong)(block * BlockSize), BlockSize, payload: Pattern(block)));
            }
        }

        var clients = new List<NbdTestClient>(Connections);
        try
        {
            var (managed0, resident0) = Measure();
            Open(server, clients, Connections / 2);
            var (managed1, resident1) = Measure();
            Open(server, clients, Connections);
            ReadAndVerify(clients);
            var (managed2, resident2) = Measure();

            Assert.True(SpinWait.SpinUntil(() => server.Engine.Exports.GetExport("exp").ClientCount == Connections, TimeSpan.FromSeconds(10)),
                $"the export counts {server.Engine.Exports.GetExport("exp").ClientCount} clients, expected {Connections}");

            // Linear and modest: each half of the connections costs about the same, and little.
            const int Half = Connections / 2;
            long firstManaged = (managed1 - managed0) / Half, secondManaged = (managed2 - managed1) / Half;
            long firstResident = (resident1 - resident0) / Half, secondResident = (resident2 - resident1) / Half;
            string report = $"per connection: managed {firstManaged} then {secondManaged} bytes, resident {firstResident} then {secondResident} bytes";
            output.WriteLine(report);
            Assert.True(firstManaged < ManagedBytesPerConnection && secondManaged < ManagedBytesPerConnection, report);
            Assert.True(firstResident < ResidentBytesPerConnection && secondResident < ResidentBytesPerConnection, report);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }

        // Every server-side connection ends once its client left.
        Assert.True(SpinWait.SpinUntil(() => server.Engine.Exports.GetExport("exp").ClientCount == 0, TimeSpan.FromSeconds(15)),
            $"{server.Engine.Exports.GetExport("exp").ClientCount} connections are still open after their clients left");
    }

    /// <summary>Handshakes until <paramref name="count"/> clients are connected; all stay open.</summary>
    private static void Open(NbdTestServer server, List<NbdTestClient> clients, int count)
    {
        while (clients.Count < count)
        {
            var client = new NbdTestClient(server);
            clients.Add(client);
            client.Connect();
        }
    }

    /// <summary>One read per client, all sent before any reply is read: a thousand requests in flight at once.</summary>
    private static void ReadAndVerify(List<NbdTestClient> clients)
    {
        for (int i = 0; i < clients.Count; i++)
        {
            clients[i].Request(NbdTestClient.CmdRead, (ulong)(i % Blocks * BlockSize), BlockSize, cookie: (ulong)i);
        }

        for (int i = 0; i < clients.Count; i++)
        {
            var chunk = clients[i].ReadChunk();
            Assert.Equal((ulong)i, chunk.Cookie);
            Assert.Equal(NbdTestClient.ReplyOffsetData, chunk.Type);
            Assert.True(chunk.Done);
            Assert.Equal(Pattern(i % Blocks), chunk.Payload.AsSpan(8).ToArray());
        }
    }

    private static (long Managed, long Resident) Measure()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: true), process.WorkingSet64);
    }

    private static byte[] Pattern(int block) => Enumerable.Range(0, BlockSize).Select(b => (byte)((b * 7) + block + 1)).ToArray();

    private static void RequireDescriptors(ulong needed)
    {
        Assert.Equal(0, GetRLimit(RLimitNoFile, out var limit));
        if (limit.Current >= needed)
        {
            return;
        }

        Assert.True(limit.Maximum >= needed,
            $"this test needs {needed} file descriptors; the hard limit is {limit.Maximum} (raise it with ulimit -Hn)");
        limit.Current = limit.Maximum;
        Assert.Equal(0, SetRLimit(RLimitNoFile, in limit));
    }

    private const int RLimitNoFile = 7;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [DllImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static extern int GetRLimit(int resource, out RLimit limit);

    [DllImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static extern int SetRLimit(int resource, in RLimit limit);
}
