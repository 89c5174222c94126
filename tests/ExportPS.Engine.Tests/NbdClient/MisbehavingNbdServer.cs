using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace ExportPS.Engine.Tests.NbdClient;

/// <summary>
/// A fake NBD server for one connection: a correct handshake (structured replies, a 1 MiB export), then it answers the
/// first request with what <see cref="Misbehave"/> writes, and hangs up. It stops listening after the first client,
/// so reconnection attempts are refused.
/// </summary>
internal sealed class MisbehavingNbdServer : IDisposable
{
    public const long Size = 1 << 20;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Task _serving;

    /// <param name="misbehave">Given the socket and the first request (cookie, offset, length), writes the bad reply.</param>
    public MisbehavingNbdServer(Action<Socket, ulong, ulong, uint> misbehave)
    {
        Misbehave = misbehave;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _serving = Task.Run(Serve);
    }

    public Action<Socket, ulong, ulong, uint> Misbehave { get; }

    public int Port { get; }

    private void Serve()
    {
        using var socket = _listener.AcceptSocket();
        _listener.Stop();
        socket.ReceiveTimeout = 10_000;
        var greeting = new byte[18];
        BinaryPrimitives.WriteUInt64BigEndian(greeting, 0x4e42444d41474943);
        BinaryPrimitives.WriteUInt64BigEndian(greeting.AsSpan(8), 0x49484156454f5054);
        BinaryPrimitives.WriteUInt16BigEndian(greeting.AsSpan(16), 3);
        socket.Send(greeting);
        Receive(socket, 4);
        while (true)
        {
            var header = Receive(socket, 16);
            uint option = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8));
            Receive(socket, (int)BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(12)));
            if (option == 7)
            {
                var info = new byte[12];
                BinaryPrimitives.WriteInt64BigEndian(info.AsSpan(2), Size);
                BinaryPrimitives.WriteUInt16BigEndian(info.AsSpan(10), 1 | 4);
                Reply(socket, option, 3, info);
                Reply(socket, option, 1, []);
                break;
            }

            Reply(socket, option, option == 8 ? 1u : 0x80000001, []);
        }

        var request = Receive(socket, 28);
        Misbehave(socket, BinaryPrimitives.ReadUInt64BigEndian(request.AsSpan(8)), BinaryPrimitives.ReadUInt64BigEndian(request.AsSpan(16)),
            BinaryPrimitives.ReadUInt32BigEndian(request.AsSpan(24)));
        socket.Shutdown(SocketShutdown.Both);
    }

    /// <summary>A structured reply chunk header (20 bytes).</summary>
    public static byte[] Chunk(ushort flags, ushort type, ulong cookie, uint length)
    {
        var header = new byte[20];
        BinaryPrimitives.WriteUInt32BigEndian(header, 0x668e33ef);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), flags);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), type);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(8), cookie);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(16), length);
        return header;
    }

    public static byte[] Offset(ulong offset)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, offset);
        return bytes;
    }

    private static void Reply(Socket socket, uint option, uint type, byte[] payload)
    {
        var reply = new byte[20 + payload.Length];
        BinaryPrimitives.WriteUInt64BigEndian(reply, 0x0003e889045565a9);
        BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(8), option);
        BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(12), type);
        BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(16), (uint)payload.Length);
        payload.CopyTo(reply, 20);
        socket.Send(reply);
    }

    private static byte[] Receive(Socket socket, int length)
    {
        var buffer = new byte[length];
        for (int at = 0; at < length;)
        {
            int got = socket.Receive(buffer, at, length - at, SocketFlags.None);
            at += got > 0 ? got : throw new EndOfStreamException("the client left");
        }

        return buffer;
    }

    public void Dispose()
    {
        _listener.Stop();
        _serving.Wait(TimeSpan.FromSeconds(10));
    }
}
