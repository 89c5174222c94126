using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Xunit;
using static ExportPS.TestSupport.NbdTestClient;

namespace ExportPS.Engine.Tests.Nbd;

/// <summary>
/// A client session of every kind of message (options with and without extended headers, then every command),
/// replayed with random damage: flipped bytes, cuts, inserted junk. Whatever arrives, the server must answer or hang
/// up, never crash the process or stop serving others. Seeds are fixed, so a failure replays exactly. The sessions
/// run side by side on plain threads (blocking sockets would starve the thread pool the server runs on).
/// </summary>
public sealed class NbdMutationTests
{
    private const int Cases = 240;
    private static readonly TimeSpan Silence = TimeSpan.FromMilliseconds(100);

    /// <summary>Client flags, then the options and requests of a full session, as one byte stream.</summary>
    private static byte[] Session(bool extended)
    {
        var stream = new MemoryStream();
        void Option(uint option, byte[] data)
        {
            var header = new byte[16];
            BinaryPrimitives.WriteUInt64BigEndian(header, OptionMagic);
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), option);
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(12), (uint)data.Length);
            stream.Write(header);
            stream.Write(data);
        }

        void Request(ushort type, ulong offset, ulong length, ushort flags = 0, byte[]? payload = null)
        {
            stream.Write(RequestHeader(extended, type, offset, length, flags, cookie: (ulong)stream.Length));
            stream.Write(payload ?? []);
        }

        stream.Write([0, 0, 0, 3]);
        Option(extended ? OptExtendedHeaders : OptStructuredReply, []);
        Option(OptListMetaContext, MetaPayload("disk", "base:"));
        Option(OptSetMetaContext, MetaPayload("disk", "base:allocation"));
        Option(OptInfo, NamePayload("disk", 0, 3));
        Option(OptGo, NamePayload("disk"));
        Request(CmdWrite, 4096, 512, FlagFua, new byte[512]);
        Request(CmdRead, 0, 65536);
        Request(CmdRead, 4096, 512, FlagDf);
        Request(CmdBlockStatus, 0, 1 << 20, FlagReqOne);
        Request(CmdTrim, 8192, 4096);
        Request(CmdWriteZeroes, 0, 4096, FlagNoHole);
        Request(CmdCache, 0, 4096);
        Request(CmdFlush, 0, 0);
        Request(CmdDisc, 0, 0);
        return stream.ToArray();
    }

    private static byte[] Damage(byte[] session, Random random)
    {
        var bytes = new List<byte>(session);
        int edits = random.Next(1, 6);
        for (int i = 0; i < edits; i++)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(4))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes.InsertRange(at, Enumerable.Range(0, random.Next(1, 40)).Select(_ => (byte)random.Next(256)));
                    break;
                default:
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, random.Next(1, 40)));
                    break;
            }
        }

        return [.. bytes];
    }

    /// <summary>Sends the stream (small: it fits the socket buffer), then reads until the server hangs up or stays silent.</summary>
    private static void Play(EndPoint server, byte[] stream)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { SendTimeout = 10_000 };
        socket.Connect(server);
        var buffer = new byte[64 * 1024];
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        try
        {
            socket.Send(stream);
            while (socket.Poll(Silence, SelectMode.SelectRead) && socket.Receive(buffer) > 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "the server kept talking for 30 s");
            }
        }
        catch (SocketException)
        {
            // Reset by the server, or it hung up before reading everything: an answer too.
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DamagedSessionsGetAnswersOrAHangUpAndTheServerGoesOn(bool extended)
    {
        using var server = new NbdTestServer();
        var endPoint = new IPEndPoint(IPAddress.Loopback, server.Port);
        var session = Session(extended);
        Play(endPoint, session); // undamaged, as a baseline

        const int Players = 8;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var players = Enumerable.Range(0, Players).Select(player => new Thread(() =>
        {
            try
            {
                for (int seed = player; seed < Cases; seed += Players)
                {
                    Play(endPoint, Damage(session, new Random(seed + (extended ? Cases : 0))));
                }
            }
            catch (Exception e)
            {
                failures.Enqueue(e);
            }
        })).ToList();
        players.ForEach(t => t.Start());
        players.ForEach(t => Assert.True(t.Join(TimeSpan.FromSeconds(120)), "a player is stuck"));
        Assert.Empty(failures);

        using var client = new NbdTestClient(server).Connect(extended: extended);
        Assert.Equal(0u, client.Command(CmdWrite, 0, 5, payload: "alive"u8));
        Assert.Equal("alive"u8.ToArray(), client.ReadData(0, 5));
        Assert.True(SpinWait.SpinUntil(() => server.Engine.GetNbdServer().Connections == 1, TimeSpan.FromSeconds(15)),
            "every damaged session's connection ended");

        // The damage reached the error paths: many sessions broke the protocol (the rest hit payload bytes or
        // made other valid requests).
        Assert.InRange(server.Engine.GetNbdServer().ClientErrors, Cases / 10, Cases);
    }
}
