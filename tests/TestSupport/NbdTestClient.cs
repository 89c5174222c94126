using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Xunit;

namespace ExportPS.TestSupport;

/// <summary>
/// The NBD client of the tests, written from the spec, for what no peer here can do. Raw mode (the constructor, then
/// <see cref="Greet"/>, options and requests one by one) sends any bytes and checks exact reply shapes: malformed input,
/// extended headers, allocation counting. Minimal mode (<see cref="OpenExportName"/>) only enters transmission with
/// NBD_OPT_EXPORT_NAME, to hold a client on an export. After <see cref="StartTls"/> the same calls go over TLS.
/// Blocking socket with timeouts, so a hung server fails the test instead of hanging it.
/// </summary>
internal sealed class NbdTestClient : IDisposable
{
    public const ulong InitMagic = 0x4e42444d41474943;
    public const ulong OptionMagic = 0x49484156454f5054;
    public const ulong OptionReplyMagic = 0x0003e889045565a9;
    public const uint RequestMagic = 0x25609513;
    public const uint ExtendedRequestMagic = 0x21e41c71;
    public const uint SimpleReplyMagic = 0x67446698;
    public const uint StructuredReplyMagic = 0x668e33ef;
    public const uint ExtendedReplyMagic = 0x6e8a278c;

    public const uint OptExportName = 1, OptAbort = 2, OptList = 3, OptStartTls = 5, OptInfo = 6, OptGo = 7,
        OptStructuredReply = 8, OptListMetaContext = 9, OptSetMetaContext = 10, OptExtendedHeaders = 11;
    public const uint RepAck = 1, RepServer = 2, RepInfo = 3, RepMetaContext = 4;
    public const uint RepErrUnsup = 0x80000001, RepErrPolicy = 0x80000002, RepErrInvalid = 0x80000003, RepErrTlsReqd = 0x80000005, RepErrUnknown = 0x80000006,
        RepErrShutdown = 0x80000007, RepErrExtHeaderReqd = 0x8000000a;
    public const ushort CmdRead = 0, CmdWrite = 1, CmdDisc = 2, CmdFlush = 3, CmdTrim = 4, CmdCache = 5, CmdWriteZeroes = 6, CmdBlockStatus = 7;
    public const ushort FlagFua = 1, FlagNoHole = 2, FlagDf = 4, FlagReqOne = 8, FlagFastZero = 16, FlagPayloadLen = 32;
    public const ushort ReplyNone = 0, ReplyOffsetData = 1, ReplyOffsetHole = 2, ReplyBlockStatus = 5, ReplyBlockStatusExt = 6, ReplyError = 32769, ReplyErrorOffset = 32770;
    public const uint EPerm = 1, EIo = 5, EInval = 22, ENoSpc = 28, EOverflow = 75, ENotSup = 95, EShutdown = 108;

    public NbdTestClient(NbdTestServer server, TimeSpan? timeout = null)
        : this(server.SocketPath is { } path ? new UnixDomainSocketEndPoint(path) : new IPEndPoint(IPAddress.Loopback, server.Port), timeout)
    {
    }

    public NbdTestClient(EndPoint endPoint, TimeSpan? timeout = null)
    {
        Socket = new Socket(endPoint.AddressFamily, SocketType.Stream, endPoint is IPEndPoint ? ProtocolType.Tcp : ProtocolType.Unspecified);
        int milliseconds = (int)(timeout ?? TimeSpan.FromSeconds(10)).TotalMilliseconds;
        Socket.ReceiveTimeout = milliseconds;
        Socket.SendTimeout = milliseconds;
        Socket.Connect(endPoint);
        if (endPoint is IPEndPoint)
        {
            Socket.NoDelay = true;
        }
    }

    /// <summary>
    /// Minimal mode: greets with fixed newstyle and NO_ZEROES and enters transmission on <paramref name="exportName"/>
    /// with NBD_OPT_EXPORT_NAME (the server answers with size and flags only); <see cref="Size"/> is then set.
    /// </summary>
    public static NbdTestClient OpenExportName(string unixPath, string exportName)
    {
        var client = new NbdTestClient(new UnixDomainSocketEndPoint(unixPath));
        try
        {
            client.Greet();
            client.SendOption(OptExportName, Encoding.UTF8.GetBytes(exportName));
            var reply = client.Receive(10);
            client.Size = BinaryPrimitives.ReadInt64BigEndian(reply);
            client.TransmissionFlags = BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(8));
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public Socket Socket { get; }

    /// <summary>The TLS session after <see cref="StartTls"/>; until then bytes go over <see cref="Socket"/> as they are.</summary>
    private SslStream? _tls;

    public bool Extended { get; private set; }

    public bool Structured { get; private set; }

    public long Size { get; private set; }

    public ushort TransmissionFlags { get; private set; }

    // ---- raw bytes ----------------------------------------------------------------------------------------------

    public void Send(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (_tls is not null)
            {
                _tls.Write(data);
                return;
            }

            data = data[Socket.Send(data)..];
        }
    }

    public void Receive(Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            int received = _tls?.Read(destination) ?? Socket.Receive(destination);
            if (received == 0)
            {
                throw new EndOfStreamException("the server closed the connection");
            }

            destination = destination[received..];
        }
    }

    public byte[] Receive(int length)
    {
        var data = new byte[length];
        Receive(data);
        return data;
    }

    /// <summary>
    /// True when the server hung up (EOF or reset) instead of answering: reads at most one byte, and a receive timeout
    /// (a server that stays on) is not a hang-up.
    /// </summary>
    public bool HungUp()
    {
        var one = new byte[1];
        try
        {
            return (_tls?.Read(one) ?? Socket.Receive(one)) == 0;
        }
        catch (SocketException e) when (e.SocketErrorCode is not (SocketError.TimedOut or SocketError.WouldBlock))
        {
            return true;
        }
        catch (IOException e) when (e.InnerException is not SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.WouldBlock })
        {
            return true;
        }
    }

    /// <summary>True when the server closed the connection (reads 0 or fails) within the timeout.</summary>
    public bool WaitClosed()
    {
        var one = new byte[1];
        try
        {
            while (true)
            {
                if (Socket.Receive(one) == 0)
                {
                    return true;
                }
            }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.TimedOut or SocketError.WouldBlock)
        {
            return e.SocketErrorCode == SocketError.ConnectionReset;
        }
    }

    // ---- handshake ----------------------------------------------------------------------------------------------

    /// <summary>Reads the greeting and answers with fixed newstyle and NO_ZEROES.</summary>
    public ushort Greet(uint clientFlags = 3)
    {
        var greeting = Receive(18);
        Assert.Equal(InitMagic, BinaryPrimitives.ReadUInt64BigEndian(greeting));
        Assert.Equal(OptionMagic, BinaryPrimitives.ReadUInt64BigEndian(greeting.AsSpan(8)));
        var flags = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(flags, clientFlags);
        Send(flags);
        return BinaryPrimitives.ReadUInt16BigEndian(greeting.AsSpan(16));
    }

    public void SendOption(uint option, ReadOnlySpan<byte> data = default, ulong magic = OptionMagic, uint? length = null)
    {
        var header = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(header, magic);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), option);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(12), length ?? (uint)data.Length);
        Send(header);
        Send(data);
    }

    /// <summary>
    /// NBD_OPT_STARTTLS, asserting the server's ACK, then the TLS handshake with <paramref name="clientCertificate"/>,
    /// trusting a server certificate issued by <paramref name="ca"/>. Every later option and request goes over TLS.
    /// </summary>
    public void StartTls(X509Certificate2 ca, X509Certificate2 clientCertificate)
    {
        SendOption(OptStartTls);
        var reply = ReadOptionReply();
        Assert.Equal((OptStartTls, RepAck, 0), (reply.Option, reply.Type, reply.Data.Length));
        var tls = new SslStream(new NetworkStream(Socket, ownsSocket: false), leaveInnerStreamOpen: false,
            (_, certificate, _, _) => certificate is X509Certificate2 c && c.Issuer == ca.Subject);
        tls.AuthenticateAsClient(new SslClientAuthenticationOptions { TargetHost = "localhost", ClientCertificates = [clientCertificate] });
        _tls = tls;
    }

    public (uint Option, uint Type, byte[] Data) ReadOptionReply()
    {
        var header = Receive(20);
        Assert.Equal(OptionReplyMagic, BinaryPrimitives.ReadUInt64BigEndian(header));
        uint option = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8));
        uint type = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(12));
        uint length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(16));
        return (option, type, Receive((int)length));
    }

    /// <summary>Sends an option without data and returns the single reply type.</summary>
    public uint Negotiate(uint option)
    {
        SendOption(option);
        var reply = ReadOptionReply();
        Assert.Equal(option, reply.Option);
        if (reply.Type == RepAck)
        {
            Structured |= option is OptStructuredReply or OptExtendedHeaders;
            Extended |= option == OptExtendedHeaders;
        }

        return reply.Type;
    }

    public static byte[] NamePayload(string name, params ushort[] infos)
    {
        var bytes = Encoding.UTF8.GetBytes(name);
        var data = new byte[4 + bytes.Length + 2 + (2 * infos.Length)];
        BinaryPrimitives.WriteInt32BigEndian(data, bytes.Length);
        bytes.CopyTo(data, 4);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(4 + bytes.Length), (ushort)infos.Length);
        for (int i = 0; i < infos.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(6 + bytes.Length + (2 * i)), infos[i]);
        }

        return data;
    }

    public static byte[] MetaPayload(string name, params string[] queries)
    {
        var stream = new MemoryStream();
        void Write32(int value)
        {
            var b = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(b, value);
            stream.Write(b);
        }

        var bytes = Encoding.UTF8.GetBytes(name);
        Write32(bytes.Length);
        stream.Write(bytes);
        Write32(queries.Length);
        foreach (var query in queries)
        {
            var q = Encoding.UTF8.GetBytes(query);
            Write32(q.Length);
            stream.Write(q);
        }

        return stream.ToArray();
    }

    /// <summary>Meta context replies (id, name) up to the ACK; the final reply type is returned too.</summary>
    public (List<(uint Id, string Name)> Contexts, uint Final) MetaContexts(uint option, string export, params string[] queries)
    {
        SendOption(option, MetaPayload(export, queries));
        var contexts = new List<(uint, string)>();
        while (true)
        {
            var reply = ReadOptionReply();
            if (reply.Type != RepMetaContext)
            {
                return (contexts, reply.Type);
            }

            contexts.Add((BinaryPrimitives.ReadUInt32BigEndian(reply.Data), Encoding.UTF8.GetString(reply.Data, 4, reply.Data.Length - 4)));
        }
    }

    /// <summary>NBD_OPT_GO; on success records size and flags and enters transmission. Returns the final reply type.</summary>
    public uint Go(string name = "disk")
    {
        SendOption(OptGo, NamePayload(name));
        while (true)
        {
            var reply = ReadOptionReply();
            if (reply.Type == RepInfo && BinaryPrimitives.ReadUInt16BigEndian(reply.Data) == 0)
            {
                Size = BinaryPrimitives.ReadInt64BigEndian(reply.Data.AsSpan(2));
                TransmissionFlags = BinaryPrimitives.ReadUInt16BigEndian(reply.Data.AsSpan(10));
            }
            else if (reply.Type != RepInfo)
            {
                return reply.Type;
            }
        }
    }

    /// <summary>Greeting, optional structured replies / extended headers / contexts, then GO; asserts success.</summary>
    public NbdTestClient Connect(string name = "disk", bool structured = true, bool extended = false, params string[] contexts)
    {
        Greet();
        if (extended)
        {
            Assert.Equal(RepAck, Negotiate(OptExtendedHeaders));
        }
        else if (structured)
        {
            Assert.Equal(RepAck, Negotiate(OptStructuredReply));
        }

        if (contexts.Length > 0)
        {
            var (selected, final) = MetaContexts(OptSetMetaContext, name, contexts);
            Assert.Equal(RepAck, final);
            Assert.Equal(contexts.Length, selected.Count);
        }

        Assert.Equal(RepAck, Go(name));
        return this;
    }

    // ---- transmission -------------------------------------------------------------------------------------------

    public void Request(ushort type, ulong offset, ulong length, ushort flags = 0, ulong cookie = 1, ReadOnlySpan<byte> payload = default)
    {
        Send(RequestHeader(Extended, type, offset, length, flags, cookie));
        Send(payload);
    }

    /// <summary>A compact (28-byte) or extended (32-byte) request header.</summary>
    public static byte[] RequestHeader(bool extended, ushort type, ulong offset, ulong length, ushort flags = 0, ulong cookie = 1)
    {
        var header = new byte[extended ? 32 : 28];
        BinaryPrimitives.WriteUInt32BigEndian(header, extended ? ExtendedRequestMagic : RequestMagic);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), flags);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), type);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(8), cookie);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(16), offset);
        if (extended)
        {
            BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(24), length);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(24), (uint)length);
        }

        return header;
    }

    public sealed record Chunk(uint Magic, ushort Flags, ushort Type, ulong Cookie, ulong Offset, byte[] Payload)
    {
        public bool Done => (Flags & 1) != 0;

        public bool IsError => Type is ReplyError or ReplyErrorOffset;

        public uint Error => IsError ? BinaryPrimitives.ReadUInt32BigEndian(Payload) : 0;

        public string Message => IsError ? Encoding.UTF8.GetString(Payload, 6, BinaryPrimitives.ReadUInt16BigEndian(Payload.AsSpan(4))) : string.Empty;

        /// <summary>ERROR_OFFSET: where the error happened (after the message).</summary>
        public ulong ErrorOffset => BinaryPrimitives.ReadUInt64BigEndian(Payload.AsSpan(6 + BinaryPrimitives.ReadUInt16BigEndian(Payload.AsSpan(4))));
    }

    /// <summary>
    /// One reply message. A simple reply becomes a chunk of type NONE with the error in <see cref="Chunk.Offset"/>'s place
    /// turned into Payload = error (4 bytes) and, for a successful simple READ, <paramref name="simpleReadLength"/> data bytes.
    /// </summary>
    public Chunk ReadChunk(int simpleReadLength = 0)
    {
        var head = Receive(4);
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(head);
        switch (magic)
        {
            case SimpleReplyMagic:
            {
                var rest = Receive(12);
                uint error = BinaryPrimitives.ReadUInt32BigEndian(rest);
                var payload = new byte[4 + (error == 0 ? simpleReadLength : 0)];
                BinaryPrimitives.WriteUInt32BigEndian(payload, error);
                Receive(payload.AsSpan(4));
                return new Chunk(magic, 1, ReplyNone, BinaryPrimitives.ReadUInt64BigEndian(rest.AsSpan(4)), 0, payload);
            }

            case StructuredReplyMagic:
            {
                var rest = Receive(16);
                uint length = BinaryPrimitives.ReadUInt32BigEndian(rest.AsSpan(12));
                return new Chunk(magic, BinaryPrimitives.ReadUInt16BigEndian(rest), BinaryPrimitives.ReadUInt16BigEndian(rest.AsSpan(2)),
                    BinaryPrimitives.ReadUInt64BigEndian(rest.AsSpan(4)), 0, Receive((int)length));
            }

            case ExtendedReplyMagic:
            {
                var rest = Receive(28);
                ulong length = BinaryPrimitives.ReadUInt64BigEndian(rest.AsSpan(20));
                return new Chunk(magic, BinaryPrimitives.ReadUInt16BigEndian(rest), BinaryPrimitives.ReadUInt16BigEndian(rest.AsSpan(2)),
                    BinaryPrimitives.ReadUInt64BigEndian(rest.AsSpan(4)), BinaryPrimitives.ReadUInt64BigEndian(rest.AsSpan(12)), Receive((int)length));
            }

            default:
                throw new InvalidDataException($"bad reply magic 0x{magic:x8}");
        }
    }

    /// <summary>All chunks of one reply (up to the DONE flag).</summary>
    public List<Chunk> ReadReply(int simpleReadLength = 0)
    {
        var chunks = new List<Chunk>();
        do
        {
            chunks.Add(ReadChunk(simpleReadLength));
        }
        while (!chunks[^1].Done);
        return chunks;
    }

    /// <summary>The error of a reply (0 = success), simple or structured.</summary>
    public static uint ErrorOf(List<Chunk> reply)
    {
        foreach (var chunk in reply)
        {
            if (chunk.Magic == SimpleReplyMagic)
            {
                return BinaryPrimitives.ReadUInt32BigEndian(chunk.Payload);
            }

            if (chunk.IsError)
            {
                return chunk.Error;
            }
        }

        return 0;
    }

    /// <summary>Reassembles a READ reply into <paramref name="length"/> bytes from data and hole chunks.</summary>
    public byte[] ReadData(ulong offset, int length, ushort flags = 0, ulong cookie = 1)
    {
        Request(CmdRead, offset, (ulong)length, flags, cookie);
        var reply = ReadReply(length);
        Assert.Equal(0u, ErrorOf(reply));
        var data = new byte[length];
        foreach (var chunk in reply)
        {
            switch (chunk.Type)
            {
                case ReplyNone when chunk.Magic == SimpleReplyMagic:
                    chunk.Payload.AsSpan(4).CopyTo(data);
                    break;
                case ReplyOffsetData:
                    ulong at = BinaryPrimitives.ReadUInt64BigEndian(chunk.Payload);
                    chunk.Payload.AsSpan(8).CopyTo(data.AsSpan((int)(at - offset)));
                    break;
                case ReplyOffsetHole:
                    ulong hole = BinaryPrimitives.ReadUInt64BigEndian(chunk.Payload);
                    data.AsSpan((int)(hole - offset), BinaryPrimitives.ReadInt32BigEndian(chunk.Payload.AsSpan(8))).Clear();
                    break;
            }
        }

        return data;
    }

    public uint Command(ushort type, ulong offset, ulong length, ushort flags = 0, ReadOnlySpan<byte> payload = default)
    {
        Request(type, offset, length, flags, 7, payload);
        var reply = ReadReply();
        Assert.All(reply, c => Assert.Equal(7ul, c.Cookie));
        return ErrorOf(reply);
    }

    public void Disconnect() => Request(CmdDisc, 0, 0);

    public void Dispose()
    {
        _tls?.Dispose();
        Socket.Dispose();
    }
}
