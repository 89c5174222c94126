using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using ExportPS.Engine.Logging;
using ExportPS.Engine.Transport;
using static ExportPS.Engine.Exports.Nbd.NbdProtocol;

namespace ExportPS.Engine.Exports.Nbd;

/// <summary>
/// Fixed newstyle negotiation (with NO_ZEROES) up to the transmission phase. Everything goes through the connection's
/// <see cref="StreamTransport"/>, read afresh for every message, so NBD_OPT_STARTTLS can swap in a TLS transport mid-way.
/// A client that breaks the framing (bad magic, absurd length, truncated message) is disconnected; a client that asks
/// for something wrong gets an error reply and may go on.
/// </summary>
internal sealed partial class NbdHandshake(NbdConnection connection)
{
    private bool _noZeroes;

    /// <summary>The last error reply sent, to explain a client that hangs up after it.</summary>
    private string? _lastRefusal;
    private CancellationToken _cancellation;

    private StreamTransport Transport => connection.Transport;

    private NbdServer Server => connection.Server;

    /// <summary>The export the client entered transmission with, or null if it aborted or left.</summary>
    public async Task<NbdExport?> RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await NegotiateAsync(cancellationToken);
        }
        catch (Exception e) when (_lastRefusal is not null && e is not OperationCanceledException)
        {
            // Clients often hang up without NBD_OPT_ABORT after a refusal (libnbd, when TLS is required): the refusal
            // is what the operator needs to see, not the broken pipe it ends in.
            throw new NbdProtocolException($"{e.Message} (after the server refused: {_lastRefusal})", e);
        }
    }

    private async Task<NbdExport?> NegotiateAsync(CancellationToken cancellationToken)
    {
        _cancellation = cancellationToken;
        var greeting = new byte[18];
        BinaryPrimitives.WriteUInt64BigEndian(greeting, InitMagic);
        BinaryPrimitives.WriteUInt64BigEndian(greeting.AsSpan(8), OptionMagic);
        BinaryPrimitives.WriteUInt16BigEndian(greeting.AsSpan(16), FlagFixedNewstyle | FlagNoZeroes);
        var clientFlags = await GreetAsync(greeting);
        if (clientFlags is null)
        {
            return null;
        }

        uint flags = BinaryPrimitives.ReadUInt32BigEndian(clientFlags);
        if ((flags & ~(ClientFlagFixedNewstyle | ClientFlagNoZeroes)) != 0)
        {
            throw new NbdProtocolException($"unknown client flags 0x{flags:x}");
        }

        bool fixedNewstyle = (flags & ClientFlagFixedNewstyle) != 0;
        _noZeroes = (flags & ClientFlagNoZeroes) != 0;
        while (true)
        {
            var header = await ReceiveAsync(16);
            ulong magic = BinaryPrimitives.ReadUInt64BigEndian(header);
            uint option = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8));
            uint length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(12));
            if (magic != OptionMagic)
            {
                throw new NbdProtocolException($"bad option magic 0x{magic:x16}");
            }

            if (length > MaxOptionLength)
            {
                throw new NbdProtocolException($"option {option} has an absurd length of {length} bytes");
            }

            var data = await ReceiveAsync((int)length);
            if (!fixedNewstyle && option != OptExportName)
            {
                // Plain newstyle has no way to refuse an option.
                throw new NbdProtocolException($"option {option} without fixed newstyle");
            }

            if (await TlsGateAsync(option, data))
            {
                continue;
            }

            switch (option)
            {
                case OptExportName:
                    return await ExportNameAsync(data);
                case OptAbort:
                    await AcknowledgeAbortAsync();
                    return null;
                case OptList:
                    await ListAsync(data);
                    break;
                case OptInfo:
                case OptGo:
                    if (await InfoAsync(option, data) is { } export)
                    {
                        return export;
                    }

                    break;
                case OptStructuredReply:
                    await EnableRepliesAsync(option, data, NbdReplyMode.Structured);
                    break;
                case OptExtendedHeaders:
                    await EnableRepliesAsync(option, data, NbdReplyMode.Extended);
                    break;
                case OptListMetaContext:
                case OptSetMetaContext:
                    await MetaContextAsync(option, data);
                    break;
                default:
                    await ErrorAsync(option, RepErrUnsup, $"Unsupported option {option}");
                    break;
            }
        }
    }

    /// <summary>
    /// Sends the greeting and receives the client flags; null when the client left without a word (a port probe or a
    /// health check), which is no error.
    /// </summary>
    private async Task<byte[]?> GreetAsync(byte[] greeting)
    {
        var flags = new byte[4];
        int received;
        try
        {
            await Transport.SendAsync(greeting, _cancellation);
            received = await Transport.ReceiveAsync(flags, _cancellation);
        }
        catch (SocketException)
        {
            return null; // closed before the greeting went out, or reset by the peer that never read it
        }

        if (received == 0)
        {
            return null;
        }

        await Transport.ReceiveExactlyAsync(flags.AsMemory(received), _cancellation);
        return flags;
    }

    /// <summary>
    /// NBD_OPT_ABORT is a goodbye even when the client leaves without reading the ACK, as the spec lets it (libnbd does,
    /// after a refusal): a send that fails because it has gone is no error.
    /// </summary>
    private async Task AcknowledgeAbortAsync()
    {
        try
        {
            await ReplyAsync(OptAbort, RepAck);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
        }
    }

    private async Task<byte[]> ReceiveAsync(int length)
    {
        var buffer = new byte[length];
        await Transport.ReceiveExactlyAsync(buffer, _cancellation);
        return buffer;
    }

    // ---- replies -----------------------------------------------------------------------------------------------

    private async Task ReplyAsync(uint option, uint type, ReadOnlyMemory<byte> payload = default)
    {
        var message = new byte[20 + payload.Length];
        BinaryPrimitives.WriteUInt64BigEndian(message, OptionReplyMagic);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(8), option);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(12), type);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(16), (uint)payload.Length);
        payload.Span.CopyTo(message.AsSpan(20));
        await Transport.SendAsync(message, _cancellation);
    }

    /// <summary>Error replies carry a human-readable message (clients such as nbdinfo print it).</summary>
    private Task ErrorAsync(uint option, uint error, string message)
    {
        _lastRefusal = message;
        LogRefusal(option, error, message);
        return ReplyAsync(option, error, Encoding.UTF8.GetBytes(message));
    }

    private void LogRefusal(uint option, uint error, string message)
    {
        switch (error)
        {
            case RepErrTlsReqd:
                Server.Log.TlsRequired(connection.Client, option);
                break;
            case RepErrUnknown:
                Server.Log.ExportUnknown(connection.Client, message);
                break;
            default:
                Server.Log.OptionRefused(connection.Client, option, message);
                break;
        }
    }

    // ---- options -----------------------------------------------------------------------------------------------

    private async Task<NbdExport?> ExportNameAsync(byte[] data)
    {
        string name = Encoding.UTF8.GetString(data);
        var export = Server.FindExport(name);
        if (export is null || !connection.TryAttach(export))
        {
            // NBD_OPT_EXPORT_NAME cannot be refused: the only answer is to hang up.
            throw new NbdProtocolException($"export '{name}' not present");
        }

        var reply = new byte[_noZeroes ? 10 : 134];
        BinaryPrimitives.WriteInt64BigEndian(reply, export.Node.Size);
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(8), TransmissionFlags(export));
        await Transport.SendAsync(reply, _cancellation);
        return export;
    }

    private ushort TransmissionFlags(NbdExport export) =>
        (ushort)(export.TransmissionFlags | (connection.Mode == NbdReplyMode.Extended ? FlagBlockStatusPayload : 0));

    private async Task ListAsync(byte[] data)
    {
        if (data.Length != 0)
        {
            await ErrorAsync(OptList, RepErrInvalid, "NBD_OPT_LIST must not carry data");
            return;
        }

        foreach (var export in Server.ListExports())
        {
            var name = Encoding.UTF8.GetBytes(export.Name);
            var description = Encoding.UTF8.GetBytes(export.Description);
            var payload = new byte[4 + name.Length + description.Length];
            BinaryPrimitives.WriteInt32BigEndian(payload, name.Length);
            name.CopyTo(payload, 4);
            description.CopyTo(payload, 4 + name.Length);
            await ReplyAsync(OptList, RepServer, payload);
        }

        await ReplyAsync(OptList, RepAck);
    }

    /// <summary>NBD_OPT_INFO and NBD_OPT_GO. Returns the export when GO succeeded (transmission starts).</summary>
    private async Task<NbdExport?> InfoAsync(uint option, byte[] data)
    {
        if (!TryReadName(data, 0, out string name, out int at) || data.Length - at < 2)
        {
            await ErrorAsync(option, RepErrInvalid, "malformed export name");
            return null;
        }

        int requests = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(at));
        at += 2;
        if (data.Length - at != requests * 2)
        {
            await ErrorAsync(option, RepErrInvalid, "malformed information requests");
            return null;
        }

        var wanted = new HashSet<ushort>();
        for (int i = 0; i < requests; i++)
        {
            wanted.Add(BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(at + (2 * i))));
        }

        var export = Server.FindExport(name);
        if (export is null)
        {
            await ErrorAsync(option, RepErrUnknown, $"export '{name}' not present");
            return null;
        }

        if (option == OptGo && !connection.TryAttach(export))
        {
            await ErrorAsync(option, RepErrShutdown, $"export '{name}' is shutting down");
            return null;
        }

        var info = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(info, InfoExport);
        BinaryPrimitives.WriteInt64BigEndian(info.AsSpan(2), export.Node.Size);
        BinaryPrimitives.WriteUInt16BigEndian(info.AsSpan(10), TransmissionFlags(export));
        await ReplyAsync(option, RepInfo, info);

        if (wanted.Contains(InfoName))
        {
            await ReplyAsync(option, RepInfo, Prefixed(InfoName, export.Name));
        }

        if (wanted.Contains(InfoDescription) && export.Description.Length > 0)
        {
            await ReplyAsync(option, RepInfo, Prefixed(InfoDescription, export.Description));
        }

        // Block sizes always: every client may use them, and the 32 MiB maximum keeps well-behaved clients below 64 MiB.
        var sizes = new byte[14];
        BinaryPrimitives.WriteUInt16BigEndian(sizes, InfoBlockSize);
        BinaryPrimitives.WriteUInt32BigEndian(sizes.AsSpan(2), MinimumBlockSize);
        BinaryPrimitives.WriteUInt32BigEndian(sizes.AsSpan(6), PreferredBlockSize);
        BinaryPrimitives.WriteUInt32BigEndian(sizes.AsSpan(10), MaximumBlockSize);
        await ReplyAsync(option, RepInfo, sizes);

        await ReplyAsync(option, RepAck);
        return option == OptGo ? export : null;

        static byte[] Prefixed(ushort type, string text)
        {
            var bytes = new byte[2 + Encoding.UTF8.GetByteCount(text)];
            BinaryPrimitives.WriteUInt16BigEndian(bytes, type);
            Encoding.UTF8.GetBytes(text, bytes.AsSpan(2));
            return bytes;
        }
    }

    private async Task EnableRepliesAsync(uint option, byte[] data, NbdReplyMode mode)
    {
        if (data.Length != 0)
        {
            await ErrorAsync(option, RepErrInvalid, "option must not carry data");
        }
        else if (connection.Mode == NbdReplyMode.Extended)
        {
            await ErrorAsync(option, mode == NbdReplyMode.Extended ? RepErrInvalid : RepErrExtHeaderReqd, "extended headers already negotiated");
        }
        else if (connection.Mode == mode)
        {
            await ErrorAsync(option, RepErrInvalid, "structured replies already negotiated");
        }
        else
        {
            connection.Mode = mode;
            await ReplyAsync(option, RepAck);
        }
    }

    /// <summary>
    /// NBD_OPT_LIST_META_CONTEXT / NBD_OPT_SET_META_CONTEXT: export name, then queries. SET replaces the selection
    /// (even with an error reply, the earlier selection is gone, as the spec asks).
    /// </summary>
    private async Task MetaContextAsync(uint option, byte[] data)
    {
        bool listing = option == OptListMetaContext;
        if (!listing)
        {
            connection.MetaContexts = null;
        }

        if (connection.Mode == NbdReplyMode.Simple)
        {
            await ErrorAsync(option, RepErrInvalid, "request requires structured reply");
            return;
        }

        if (!TryReadName(data, 0, out string name, out int at) || data.Length - at < 4)
        {
            await ErrorAsync(option, RepErrInvalid, "malformed export name");
            return;
        }

        uint count = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(at));
        at += 4;
        var queries = new List<string>();
        for (uint i = 0; i < count; i++)
        {
            if (!TryReadName(data, at, out string query, out at))
            {
                await ErrorAsync(option, RepErrInvalid, "malformed metadata context query");
                return;
            }

            queries.Add(query);
        }

        if (at != data.Length)
        {
            await ErrorAsync(option, RepErrInvalid, "trailing data after the metadata context queries");
            return;
        }

        var export = Server.FindExport(name);
        if (export is null)
        {
            await ErrorAsync(option, RepErrUnknown, $"export '{name}' not present");
            return;
        }

        var offered = NbdMetaContext.Offered(export);
        var matched = listing && queries.Count == 0
            ? offered
            : offered.Intersect(queries.SelectMany(q => NbdMetaContext.Match(offered, q, listing))).ToArray();
        foreach (var context in matched)
        {
            var name8 = Encoding.UTF8.GetBytes(context.Name);
            var payload = new byte[4 + name8.Length];
            BinaryPrimitives.WriteUInt32BigEndian(payload, context.Id);
            name8.CopyTo(payload, 4);
            await ReplyAsync(option, RepMetaContext, payload);
        }

        if (!listing)
        {
            connection.MetaContexts = new NbdMetaContextSelection(name, matched);
        }

        await ReplyAsync(option, RepAck);
    }

    /// <summary>A 32-bit length, then that many bytes of UTF-8 (at most 4096).</summary>
    private static bool TryReadName(byte[] data, int at, out string name, out int next)
    {
        name = string.Empty;
        next = at;
        if (data.Length - at < 4)
        {
            return false;
        }

        uint length = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(at));
        if (length > MaxStringLength || length > (uint)(data.Length - at - 4))
        {
            return false;
        }

        name = Encoding.UTF8.GetString(data, at + 4, (int)length);
        next = at + 4 + (int)length;
        return true;
    }
}
