using Xunit;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ExportPS.Engine.Qmp;

namespace ExportPS.TestSupport;

/// <summary>A bare QMP connection for protocol tests: sends raw text and reads whole messages, every wait bounded.</summary>
internal sealed class RawQmpConnection : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly Socket _socket;
    private readonly QmpMessageFramer _framer = new(64 * 1024 * 1024);
    private readonly Queue<JsonElement> _received = new();
    private readonly byte[] _buffer = new byte[64 * 1024];

    private RawQmpConnection(Socket socket)
    {
        _socket = socket;
    }

    public static RawQmpConnection Open(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            try
            {
                socket.Connect(new UnixDomainSocketEndPoint(path));
                return new RawQmpConnection(socket);
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }
        }
    }

    /// <summary>Reads the greeting and negotiates; returns the greeting.</summary>
    public static RawQmpConnection OpenNegotiated(string path)
    {
        var connection = Open(path);
        connection.Read();
        var reply = connection.Execute("""{"execute":"qmp_capabilities"}""");
        Assert.True(reply.TryGetProperty("return", out _), reply.ToString());
        return connection;
    }

    public void Send(string text) => _socket.Send(Encoding.UTF8.GetBytes(text));

    public void Send(byte[] data) => _socket.Send(data);

    /// <summary>The next message, whatever it is (reply, event, greeting).</summary>
    public JsonElement Read()
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (_received.Count == 0)
        {
            var left = deadline - DateTime.UtcNow;
            Assert.True(left > TimeSpan.Zero, "no QMP message within 10 s");
            _socket.ReceiveTimeout = (int)Math.Max(1, left.TotalMilliseconds);
            int read = _socket.Receive(_buffer);
            Assert.True(read > 0, "the QMP server closed the connection");
            foreach (var frame in _framer.Feed(_buffer.AsSpan(0, read)))
            {
                Assert.Null(frame.Error);
                _received.Enqueue(JsonDocument.Parse(frame.Message!).RootElement);
            }
        }

        return _received.Dequeue();
    }

    /// <summary>The next reply (skipping events, which are kept in <see cref="Events"/>).</summary>
    public JsonElement ReadReply()
    {
        while (true)
        {
            var message = Read();
            if (message.TryGetProperty("event", out _))
            {
                Events.Add(message);
                continue;
            }

            return message;
        }
    }

    public List<JsonElement> Events { get; } = [];

    public JsonElement Execute(string json)
    {
        Send(json);
        return ReadReply();
    }

    /// <summary>True when the server has closed the connection within the timeout (bytes still arriving are read and dropped).</summary>
    public bool WaitForClose(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        try
        {
            while (DateTime.UtcNow < deadline)
            {
                _socket.ReceiveTimeout = 200;
                try
                {
                    if (_socket.Receive(_buffer) == 0)
                    {
                        return true;
                    }
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut || e.SocketErrorCode == SocketError.WouldBlock)
                {
                }
            }
        }
        catch (SocketException)
        {
            return true;
        }

        return false;
    }

    public void Dispose() => _socket.Dispose();
}
