using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace ExportPS.Engine.Tests.Net;

/// <summary>The far end of a stream or socket netdev, written in the test: length-prefixed frames over one socket.</summary>
internal sealed class StreamTestPeer : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public StreamTestPeer(Socket socket)
    {
        Socket = socket;
        Socket.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
    }

    public Socket Socket { get; }

    public static StreamTestPeer ConnectUnix(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        return new StreamTestPeer(socket);
    }

    public static StreamTestPeer ConnectTcp(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
        return new StreamTestPeer(socket);
    }

    public void SendFrame(byte[] frame) => SendRaw([.. Prefix(frame.Length), .. frame]);

    public void SendRaw(byte[] bytes) => Socket.Send(bytes);

    public static byte[] Prefix(int length)
    {
        var prefix = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(prefix, length);
        return prefix;
    }

    /// <summary>The next frame; throws when none comes within the timeout or the connection closes.</summary>
    public byte[] ReceiveFrame()
    {
        var prefix = ReceiveExactly(4) ?? throw new EndOfStreamException("the netdev closed the connection");
        return ReceiveExactly(BinaryPrimitives.ReadInt32BigEndian(prefix)) ?? throw new EndOfStreamException("the netdev closed inside a frame");
    }

    /// <summary>Whether the netdev closed the connection (reads end of stream within the timeout).</summary>
    public bool WaitForClose()
    {
        var buffer = new byte[4096];
        try
        {
            while (Socket.Receive(buffer) > 0)
            {
            }

            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
    }

    private byte[]? ReceiveExactly(int length)
    {
        var buffer = new byte[length];
        for (int read = 0; read < length;)
        {
            int n = Socket.Receive(buffer.AsSpan(read));
            if (n == 0)
                return null;
            read += n;
        }

        return buffer;
    }

    public void Dispose() => Socket.Dispose();
}
