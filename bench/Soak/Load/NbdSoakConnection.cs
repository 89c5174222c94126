using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace ExportPS.Soak.Load;

/// <summary>An error reply from the server: the NBD error number and, for a refused option, the option reply type.</summary>
internal sealed class NbdSoakRefusedException(string message, uint code) : Exception(message)
{
    public const uint Shutdown = 108;
    public const uint OptionUnknown = 0x80000006;
    public const uint OptionShutdown = 0x80000007;

    public uint Code => code;
}

/// <summary>
/// The soak's NBD client, written from the protocol document: fixed newstyle handshake (STARTTLS first when given a
/// CA), structured replies, the base:allocation context, NBD_OPT_GO; then one request at a time. A server that closes
/// the connection surfaces as EndOfStreamException or IOException; anything malformed as InvalidDataException.
/// </summary>
internal sealed class NbdSoakConnection : IAsyncDisposable
{
    private const ulong InitMagic = 0x4e42444d41474943, OptionMagic = 0x49484156454f5054, OptionReplyMagic = 0x0003e889045565a9;
    private const uint RequestMagic = 0x25609513, SimpleReplyMagic = 0x67446698, StructuredReplyMagic = 0x668e33ef;
    private const uint OptStartTls = 5, OptGo = 7, OptStructuredReply = 8, OptSetMetaContext = 10;
    private const uint RepAck = 1, RepInfo = 3, RepMetaContext = 4;
    private const ushort CmdRead = 0, CmdWrite = 1, CmdDisconnect = 2, CmdFlush = 3, CmdTrim = 4, CmdWriteZeroes = 6, CmdBlockStatus = 7;
    private const ushort ReplyNone = 0, ReplyOffsetData = 1, ReplyOffsetHole = 2, ReplyBlockStatus = 5;
    private const ushort FlagDone = 1;

    private readonly Socket _socket;
    private readonly byte[] _header = new byte[32];
    private Stream _stream = Stream.Null;
    private uint _allocationContext;
    private ulong _cookie;

    private NbdSoakConnection(Socket socket) => _socket = socket;

    public long Size { get; private set; }

    /// <summary>Connects and negotiates up to transmission on <paramref name="export"/>; TLS when <paramref name="ca"/> is given.</summary>
    public static async Task<NbdSoakConnection> OpenAsync(EndPoint endPoint, string export, X509Certificate2? ca, CancellationToken cancellationToken)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, endPoint is IPEndPoint ? ProtocolType.Tcp : ProtocolType.Unspecified);
        var connection = new NbdSoakConnection(socket);
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken);
            socket.NoDelay |= endPoint is IPEndPoint;
            connection._stream = new NetworkStream(socket, ownsSocket: true);
            await connection.NegotiateAsync(export, ca, cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        ulong cookie = await SendAsync(CmdRead, 0, offset, destination.Length, default, cancellationToken);
        await ReadRepliesAsync(cookie, offset, destination, null, cancellationToken);
    }

    public async Task WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        await ReadRepliesAsync(await SendAsync(CmdWrite, 0, offset, data.Length, data, cancellationToken), offset, default, null, cancellationToken);

    public async Task TrimAsync(long offset, int length, CancellationToken cancellationToken) =>
        await ReadRepliesAsync(await SendAsync(CmdTrim, 0, offset, length, default, cancellationToken), offset, default, null, cancellationToken);

    public async Task WriteZeroesAsync(long offset, int length, CancellationToken cancellationToken) =>
        await ReadRepliesAsync(await SendAsync(CmdWriteZeroes, 0, offset, length, default, cancellationToken), offset, default, null, cancellationToken);

    public async Task FlushAsync(CancellationToken cancellationToken) =>
        await ReadRepliesAsync(await SendAsync(CmdFlush, 0, 0, 0, default, cancellationToken), 0, default, null, cancellationToken);

    /// <summary>The base:allocation extents the server reports from <paramref name="offset"/> on (lengths, flags).</summary>
    public async Task<List<(uint Length, uint Flags)>> BlockStatusAsync(long offset, int length, CancellationToken cancellationToken)
    {
        var extents = new List<(uint, uint)>();
        await ReadRepliesAsync(await SendAsync(CmdBlockStatus, 0, offset, length, default, cancellationToken), offset, default, extents, cancellationToken);
        return extents;
    }

    /// <summary>NBD_CMD_DISC, then closes; the server sends no reply.</summary>
    public async Task DisconnectAsync(CancellationToken cancellationToken) => await SendAsync(CmdDisconnect, 0, 0, 0, default, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
    }

    private async Task NegotiateAsync(string export, X509Certificate2? ca, CancellationToken cancellationToken)
    {
        var greeting = await ReceiveAsync(18, cancellationToken);
        if (BinaryPrimitives.ReadUInt64BigEndian(greeting) != InitMagic || BinaryPrimitives.ReadUInt64BigEndian(greeting.AsSpan(8)) != OptionMagic)
        {
            throw new InvalidDataException("not an NBD fixed newstyle greeting");
        }

        await _stream.WriteAsync(new byte[] { 0, 0, 0, 3 }, cancellationToken); // FIXED_NEWSTYLE | NO_ZEROES
        if (ca is not null)
        {
            await OptionAsync(OptStartTls, [], cancellationToken);
            var tls = new SslStream(_stream, leaveInnerStreamOpen: false, (_, certificate, _, _) => IssuedBy(certificate, ca));
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, cancellationToken);
            _stream = tls;
        }

        await OptionAsync(OptStructuredReply, [], cancellationToken);
        var contexts = await OptionAsync(OptSetMetaContext, MetaContextPayload(export, "base:allocation"), cancellationToken);
        _allocationContext = contexts.Count == 1 ? BinaryPrimitives.ReadUInt32BigEndian(contexts[0]) : throw new InvalidDataException("base:allocation was not selected");
        var name = Encoding.UTF8.GetBytes(export);
        var go = new byte[4 + name.Length + 2];
        BinaryPrimitives.WriteInt32BigEndian(go, name.Length);
        name.CopyTo(go, 4);
        foreach (var info in await OptionAsync(OptGo, go, cancellationToken))
        {
            if (info.Length >= 12 && BinaryPrimitives.ReadUInt16BigEndian(info) == 0)
            {
                Size = BinaryPrimitives.ReadInt64BigEndian(info.AsSpan(2));
            }
        }
    }

    /// <summary>Sends an option and reads its replies up to the ACK; returns the data of the replies before it.</summary>
    private async Task<List<byte[]>> OptionAsync(uint option, byte[] data, CancellationToken cancellationToken)
    {
        var header = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(header, OptionMagic);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), option);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), data.Length);
        await _stream.WriteAsync(header, cancellationToken);
        await _stream.WriteAsync(data, cancellationToken);
        var replies = new List<byte[]>();
        while (true)
        {
            var reply = await ReceiveAsync(20, cancellationToken);
            uint type = BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(12));
            if (BinaryPrimitives.ReadUInt64BigEndian(reply) != OptionReplyMagic || BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(8)) != option)
            {
                throw new InvalidDataException($"bad reply to option {option}");
            }

            var payload = await ReceiveAsync(BinaryPrimitives.ReadInt32BigEndian(reply.AsSpan(16)), cancellationToken);
            if (type == RepAck)
            {
                return replies;
            }

            if ((type & 0x80000000) != 0)
            {
                throw new NbdSoakRefusedException($"option {option} refused with 0x{type:x}: {Encoding.UTF8.GetString(payload)}", type);
            }

            if (type is not (RepInfo or RepMetaContext))
            {
                throw new InvalidDataException($"unexpected reply type {type} to option {option}");
            }

            replies.Add(payload);
        }
    }

    private async Task<ulong> SendAsync(ushort type, ushort flags, long offset, int length, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        ulong cookie = ++_cookie;
        BinaryPrimitives.WriteUInt32BigEndian(_header, RequestMagic);
        BinaryPrimitives.WriteUInt16BigEndian(_header.AsSpan(4), flags);
        BinaryPrimitives.WriteUInt16BigEndian(_header.AsSpan(6), type);
        BinaryPrimitives.WriteUInt64BigEndian(_header.AsSpan(8), cookie);
        BinaryPrimitives.WriteInt64BigEndian(_header.AsSpan(16), offset);
        BinaryPrimitives.WriteInt32BigEndian(_header.AsSpan(24), length);
        await _stream.WriteAsync(_header.AsMemory(0, 28), cancellationToken);
        if (!payload.IsEmpty)
        {
            await _stream.WriteAsync(payload, cancellationToken);
        }

        await _stream.FlushAsync(cancellationToken);
        return cookie;
    }

    /// <summary>
    /// Reads the reply of request <paramref name="cookie"/>: data and holes land in <paramref name="destination"/> (each
    /// byte exactly once), extents in <paramref name="extents"/>; an error chunk throws after the last chunk.
    /// </summary>
    private async Task ReadRepliesAsync(ulong cookie, long offset, Memory<byte> destination, List<(uint, uint)>? extents, CancellationToken cancellationToken)
    {
        long filled = 0;
        NbdSoakRefusedException? error = null;
        while (true)
        {
            await ReceiveAsync(_header.AsMemory(0, 4), cancellationToken);
            uint magic = BinaryPrimitives.ReadUInt32BigEndian(_header);
            if (magic == SimpleReplyMagic)
            {
                await ReceiveAsync(_header.AsMemory(4, 12), cancellationToken);
                CheckCookie(cookie, BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(8)));
                uint code = BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(4));
                if (code != 0)
                {
                    throw new NbdSoakRefusedException($"request failed with error {code}", code);
                }

                if (!destination.IsEmpty)
                {
                    await ReceiveAsync(destination, cancellationToken);
                    filled = destination.Length;
                }

                break;
            }

            if (magic != StructuredReplyMagic)
            {
                throw new InvalidDataException($"bad reply magic 0x{magic:x8}");
            }

            await ReceiveAsync(_header.AsMemory(4, 16), cancellationToken);
            ushort chunkFlags = BinaryPrimitives.ReadUInt16BigEndian(_header.AsSpan(4));
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(_header.AsSpan(6));
            CheckCookie(cookie, BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(8)));
            int length = BinaryPrimitives.ReadInt32BigEndian(_header.AsSpan(16));
            switch (type)
            {
                case ReplyNone when length == 0:
                    break;
                case ReplyOffsetData when length > 8:
                {
                    var at = await ReceiveAsync(8, cancellationToken);
                    var part = Within(destination, offset, BinaryPrimitives.ReadInt64BigEndian(at), length - 8);
                    await ReceiveAsync(part, cancellationToken);
                    filled += part.Length;
                    break;
                }

                case ReplyOffsetHole when length == 12:
                {
                    var hole = await ReceiveAsync(12, cancellationToken);
                    var part = Within(destination, offset, BinaryPrimitives.ReadInt64BigEndian(hole), BinaryPrimitives.ReadInt32BigEndian(hole.AsSpan(8)));
                    part.Span.Clear();
                    filled += part.Length;
                    break;
                }

                case ReplyBlockStatus when extents is not null && length >= 12 && (length - 4) % 8 == 0:
                {
                    var status = await ReceiveAsync(length, cancellationToken);
                    if (BinaryPrimitives.ReadUInt32BigEndian(status) != _allocationContext)
                    {
                        throw new InvalidDataException("block status for an unknown context");
                    }

                    for (int at = 4; at < length; at += 8)
                    {
                        extents.Add((BinaryPrimitives.ReadUInt32BigEndian(status.AsSpan(at)), BinaryPrimitives.ReadUInt32BigEndian(status.AsSpan(at + 4))));
                    }

                    break;
                }

                case >= 0x8000 when length >= 6:
                {
                    var payload = await ReceiveAsync(length, cancellationToken);
                    uint code = BinaryPrimitives.ReadUInt32BigEndian(payload);
                    error ??= new NbdSoakRefusedException($"request failed with error {code}: {Encoding.UTF8.GetString(payload, 6, Math.Min(BinaryPrimitives.ReadUInt16BigEndian(payload.AsSpan(4)), length - 6))}", code);
                    break;
                }

                default:
                    throw new InvalidDataException($"unexpected reply chunk type {type} of {length} bytes");
            }

            if ((chunkFlags & FlagDone) != 0)
            {
                break;
            }
        }

        if (error is not null)
        {
            throw error;
        }

        if (filled != destination.Length)
        {
            throw new InvalidDataException($"the read reply covered {filled} of {destination.Length} bytes");
        }
    }

    /// <summary>The part of a read's buffer a chunk at <paramref name="at"/> covers; a chunk outside the request is malformed.</summary>
    private static Memory<byte> Within(Memory<byte> destination, long offset, long at, int length)
    {
        if (at < offset || length < 0 || at - offset + length > destination.Length)
        {
            throw new InvalidDataException($"a read chunk of {length} bytes at {at} lies outside the request at {offset}");
        }

        return destination.Slice((int)(at - offset), length);
    }

    private static void CheckCookie(ulong expected, ulong actual)
    {
        if (expected != actual)
        {
            throw new InvalidDataException($"a reply for cookie {actual} while waiting for {expected}");
        }
    }

    private async Task<byte[]> ReceiveAsync(int length, CancellationToken cancellationToken)
    {
        var data = new byte[length];
        await ReceiveAsync(data, cancellationToken);
        return data;
    }

    private async Task ReceiveAsync(Memory<byte> destination, CancellationToken cancellationToken) =>
        await _stream.ReadExactlyAsync(destination, cancellationToken);

    private static byte[] MetaContextPayload(string export, string query)
    {
        var name = Encoding.UTF8.GetBytes(export);
        var context = Encoding.UTF8.GetBytes(query);
        var data = new byte[4 + name.Length + 4 + 4 + context.Length];
        BinaryPrimitives.WriteInt32BigEndian(data, name.Length);
        name.CopyTo(data, 4);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4 + name.Length), 1);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(8 + name.Length), context.Length);
        context.CopyTo(data, 12 + name.Length);
        return data;
    }

    /// <summary>The server's certificate chains to <paramref name="ca"/> (the soak's own PKI; no system roots).</summary>
    private static bool IssuedBy(X509Certificate? certificate, X509Certificate2 ca)
    {
        if (certificate is null)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }
}
