// Frame relay load generator for bench/net-relay-bench.sh: sends frames in QEMU's stream framing (a 4-byte big-endian
// length, then the frame) into one TCP netdev and counts what comes out of another. Each phase sends a fixed number of
// frames of one size, either flooding (as fast as the relay takes them) or windowed (at most WINDOW frames in
// flight, so a relay with a deeper queue than that never has to drop). Prints one line per phase:
//   phase size mode sent received seconds cpu_ticks
// where seconds run from the first frame sent to the last frame received, and cpu_ticks are the server process's
// utime+stime over the phase (from /proc/PID/stat).
//
// usage: frame-relay-generator IN_HOST:PORT OUT_HOST:PORT SERVER_PID PHASE... where PHASE is SIZE:MODE:COUNT and
// MODE is "flood" or "window=N".
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

if (args.Length < 4)
{
    Console.Error.WriteLine("usage: frame-relay-generator IN_HOST:PORT OUT_HOST:PORT SERVER_PID SIZE:MODE:COUNT...");
    return 2;
}

var input = Connect(args[0]);
var output = Connect(args[1]);
int serverPid = int.Parse(args[2]);
var counter = new FrameCounter(output);
var receiver = new Thread(counter.Run) { IsBackground = true, Name = "receiver" };
receiver.Start();

// Both sides connected before the first frame: a relay drops (QEMU) or counts as no-peer (ExportPS) what arrives
// while the far side has no connection yet.
Thread.Sleep(500);

long totalSent = 0;
foreach (var phase in args.Skip(3).Select(Phase.Parse))
{
    long baseline = counter.Received;
    long ticksBefore = ServerTicks(serverPid);
    var sender = new FrameSender(input, phase.Size);
    long start = Stopwatch.GetTimestamp();
    long sent = phase.Window is { } window
        ? sender.SendWindowed(phase.Count, window, () => counter.Received - baseline, counter)
        : sender.SendFlood(phase.Count);
    long received = counter.WaitForIdle(baseline, sent);
    double seconds = Stopwatch.GetElapsedTime(start, counter.LastArrival).TotalSeconds;
    long ticks = ServerTicks(serverPid) - ticksBefore;
    totalSent += sent;
    Console.WriteLine($"{phase.Name} {phase.Size} {phase.Mode} {sent} {received} {seconds:F6} {ticks}");
}

Console.WriteLine($"total {totalSent} {counter.Received}");
input.Dispose();
output.Dispose();
return 0;

static Socket Connect(string hostPort)
{
    int colon = hostPort.LastIndexOf(':');
    var endPoint = new IPEndPoint(IPAddress.Parse(hostPort[..colon]), int.Parse(hostPort[(colon + 1)..]));
    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    for (int attempt = 0; ; attempt++)
    {
        try
        {
            socket.Connect(endPoint);
            return socket;
        }
        catch (SocketException) when (attempt < 100)
        {
            Thread.Sleep(100);
        }
    }
}

static long ServerTicks(int pid)
{
    // Fields after the command name (which may hold spaces) start at ") "; utime and stime are fields 14 and 15.
    string stat = File.ReadAllText($"/proc/{pid}/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return long.Parse(fields[11]) + long.Parse(fields[12]);
}

/// <summary>One phase: frames of one size, flooded or windowed.</summary>
internal sealed record Phase(int Size, string Mode, int? Window, long Count)
{
    public string Name => Window is null ? "flood" : "window";

    public static Phase Parse(string text)
    {
        var parts = text.Split(':');
        int? window = parts[1].StartsWith("window=", StringComparison.Ordinal) ? int.Parse(parts[1]["window=".Length..]) : null;
        if (window is null && parts[1] != "flood")
            throw new FormatException($"mode '{parts[1]}' is neither flood nor window=N");
        return new Phase(int.Parse(parts[0]), parts[1], window, long.Parse(parts[2]));
    }
}

/// <summary>Writes length-prefixed frames in batches of whole frames, so one send call carries many small frames.</summary>
internal sealed class FrameSender(Socket socket, int size)
{
    private const int BatchBytes = 64 * 1024;
    private readonly byte[] _batch = MakeBatch(size);
    private readonly int _framesPerBatch = Math.Max(1, BatchBytes / (size + 4));

    private static byte[] MakeBatch(int size)
    {
        int frames = Math.Max(1, BatchBytes / (size + 4));
        var batch = new byte[frames * (size + 4)];
        for (int i = 0; i < frames; i++)
        {
            var frame = batch.AsSpan(i * (size + 4), size + 4);
            BinaryPrimitives.WriteInt32BigEndian(frame, size);
            // An Ethernet header a switch would pass: broadcast destination, a locally administered source.
            frame[4..10].Fill(0xFF);
            frame[10..16].Fill(0x02);
            frame[16] = 0x88;
            frame[17] = 0xB5;
        }

        return batch;
    }

    public long SendFlood(long count)
    {
        for (long sent = 0; sent < count;)
        {
            int frames = (int)Math.Min(_framesPerBatch, count - sent);
            Write(frames);
            sent += frames;
        }

        return count;
    }

    /// <summary>Keeps at most <paramref name="window"/> frames in flight; a frame the relay lost frees its slot after a stall.</summary>
    public long SendWindowed(long count, int window, Func<long> received, FrameCounter counter)
    {
        int burst = Math.Max(1, Math.Min(_framesPerBatch, window / 4));
        long presumedLost = 0;
        for (long sent = 0; sent < count;)
        {
            while (sent - received() - presumedLost > window - burst)
            {
                if (!counter.WaitForMore(TimeSpan.FromSeconds(1)))
                    presumedLost = sent - received();
            }

            int frames = (int)Math.Min(burst, count - sent);
            Write(frames);
            sent += frames;
        }

        return count;
    }

    private void Write(int frames)
    {
        var data = _batch.AsSpan(0, frames * (size + 4));
        while (!data.IsEmpty)
            data = data[socket.Send(data)..];
    }
}

/// <summary>Reads the relay's output and counts whole frames; the sender waits on it.</summary>
internal sealed class FrameCounter(Socket socket)
{
    private readonly object _gate = new();
    private long _received;
    private long _lastArrival = Stopwatch.GetTimestamp();

    public long Received => Volatile.Read(ref _received);

    public long LastArrival => Volatile.Read(ref _lastArrival);

    public void Run()
    {
        var buffer = new byte[1 << 20];
        int start = 0, end = 0;
        try
        {
            while (true)
            {
                int read = socket.Receive(buffer.AsSpan(end));
                if (read == 0)
                    return;
                end += read;
                long frames = 0;
                while (end - start >= 4)
                {
                    int length = BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(start));
                    if (end - start < 4 + length)
                        break;
                    start += 4 + length;
                    frames++;
                }

                if (frames > 0)
                {
                    Volatile.Write(ref _lastArrival, Stopwatch.GetTimestamp());
                    Interlocked.Add(ref _received, frames);
                    lock (_gate)
                        Monitor.PulseAll(_gate);
                }

                buffer.AsSpan(start, end - start).CopyTo(buffer);
                end -= start;
                start = 0;
            }
        }
        catch (SocketException)
        {
        }
    }

    /// <summary>Waits until another frame arrives; false after <paramref name="timeout"/> without one.</summary>
    public bool WaitForMore(TimeSpan timeout)
    {
        long before = Received;
        lock (_gate)
            return Received != before || Monitor.Wait(_gate, timeout);
    }

    /// <summary>Waits until every frame of the phase arrived, or none arrived for a second; returns the phase's count.</summary>
    public long WaitForIdle(long baseline, long sent)
    {
        while (Received - baseline < sent)
        {
            if (!WaitForMore(TimeSpan.FromSeconds(1)))
                break;
        }

        return Received - baseline;
    }
}
