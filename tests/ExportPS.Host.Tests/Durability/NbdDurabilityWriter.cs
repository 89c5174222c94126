using System.Net.Sockets;

namespace ExportPS.Host.Tests.Durability;

/// <summary>How the writer makes its writes durable before it counts them as acknowledged.</summary>
public enum DurableWriteMode
{
    /// <summary>Every write carries NBD_CMD_FLAG_FUA: its reply acknowledges it.</summary>
    Fua,

    /// <summary>Plain writes, then a flush every few: the flush's reply acknowledges the writes answered before it was sent.</summary>
    Flush,

    /// <summary>Plain writes to a writethrough export: each reply acknowledges the write.</summary>
    Plain,
}

/// <summary>
/// Writes self-describing units over one NBD connection until the connection breaks, with a few requests in flight:
/// 1 to 64 units (512 bytes to 32 KiB) at a time, at a cursor that wraps around the export, so no two writes in
/// flight touch the same unit. The log holds every write issued and every one acknowledged as durable.
/// </summary>
internal sealed class NbdDurabilityWriter(string socket, DurableWriteMode mode)
{
    private const int Depth = 8;
    private const int MaxUnits = 64;
    private const int FlushEvery = 8;
    private const ulong FlushCookie = 1UL << 62;

    private int _acknowledged;

    public WriteLog Log { get; } = new((ulong)Random.Shared.NextInt64());

    /// <summary>Writes acknowledged so far (readable from another thread while <see cref="Run"/> goes on).</summary>
    public int Acknowledged => Volatile.Read(ref _acknowledged);

    /// <summary>Writes until the server goes away; returns the failure that ended it (a lost connection).</summary>
    public Exception Run()
    {
        // A generous timeout: fdatasync per write can take long on a busy machine, and a timeout would end the run early.
        using var client = new NbdTestClient(new UnixDomainSocketEndPoint(socket), TimeSpan.FromSeconds(60)).Connect("disk");
        long units = client.Size / SelfDescribingUnit.Size;
        var payload = new byte[MaxUnits * SelfDescribingUnit.Size];
        var answered = new List<long>();
        var flushes = new Dictionary<ulong, List<long>>();
        long cursor = 0;
        int inFlight = 0, sinceFlush = 0;
        try
        {
            while (true)
            {
                while (inFlight < Depth)
                {
                    if (mode == DurableWriteMode.Flush && sinceFlush >= FlushEvery)
                    {
                        ulong cookie = FlushCookie + (ulong)flushes.Count;
                        flushes[cookie] = [.. answered];
                        answered.Clear();
                        client.Request(NbdTestClient.CmdFlush, 0, 0, cookie: cookie);
                        sinceFlush = 0;
                    }
                    else
                    {
                        int count = Random.Shared.Next(1, MaxUnits + 1);
                        if (cursor + count > units)
                        {
                            cursor = 0;
                        }

                        long sequence = Log.Issue(cursor * SelfDescribingUnit.Size, count);
                        var data = payload.AsSpan(0, count * SelfDescribingUnit.Size);
                        Log.Fill(sequence, data);
                        client.Request(NbdTestClient.CmdWrite, (ulong)(cursor * SelfDescribingUnit.Size), (ulong)data.Length,
                            mode == DurableWriteMode.Fua ? NbdTestClient.FlagFua : (ushort)0, (ulong)sequence, data);
                        cursor += count;
                        sinceFlush++;
                    }

                    inFlight++;
                }

                var reply = client.ReadReply();
                inFlight--;
                uint error = NbdTestClient.ErrorOf(reply);
                ulong answeredCookie = reply[0].Cookie;
                if (error != 0)
                {
                    throw new InvalidOperationException($"request {answeredCookie:x} failed with NBD error {error}");
                }

                if (answeredCookie >= FlushCookie)
                {
                    Acknowledge(flushes[answeredCookie]);
                }
                else if (mode == DurableWriteMode.Flush)
                {
                    answered.Add((long)answeredCookie);
                }
                else
                {
                    Acknowledge([(long)answeredCookie]);
                }
            }
        }
        catch (Exception lost) when (lost is EndOfStreamException or SocketException or IOException)
        {
            return lost;
        }
    }

    private void Acknowledge(List<long> sequences)
    {
        foreach (long sequence in sequences)
        {
            Log.Acknowledge(sequence);
        }

        Interlocked.Add(ref _acknowledged, sequences.Count);
    }
}
