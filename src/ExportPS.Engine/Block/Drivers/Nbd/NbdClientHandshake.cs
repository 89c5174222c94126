using System.Buffers.Binary;
using System.Text;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Exports.Nbd;
using ExportPS.Engine.Tls;
using ExportPS.Engine.Transport;
using static ExportPS.Engine.Exports.Nbd.NbdProtocol;

namespace ExportPS.Engine.Block.Drivers.Nbd;

/// <summary>
/// The client side of fixed newstyle negotiation, in the order QEMU's client runs it: STARTTLS when TLS is configured,
/// then extended headers (falling back to structured replies, then simple ones), the metadata context for block status,
/// and NBD_OPT_GO asking for the block-size constraints (NBD_OPT_EXPORT_NAME with a server too old for GO).
/// A broken or refusing server is an <see cref="NbdClientException"/> whose message says what went wrong.
/// </summary>
internal sealed class NbdClientHandshake(NbdClientSettings settings, CancellationToken cancellationToken)
{
    private const ulong OldstyleMagic = 0x00420281861253;

    /// <summary>The transport, replaced by a TLS one after STARTTLS.</summary>
    public StreamTransport Transport { get; private set; } = null!;

    /// <summary>Negotiates on <paramref name="transport"/> up to the transmission phase; <see cref="Transport"/> is then the one to use.</summary>
    public async Task<NbdRemoteExport> RunAsync(StreamTransport transport)
    {
        Transport = transport;
        var greeting = await ReceiveAsync(18);
        ulong magic = BinaryPrimitives.ReadUInt64BigEndian(greeting);
        ulong style = BinaryPrimitives.ReadUInt64BigEndian(greeting.AsSpan(8));
        if (magic != InitMagic)
        {
            throw new NbdClientException($"Bad server magic 0x{magic:x16}");
        }

        if (style == OldstyleMagic)
        {
            throw new NbdClientException("The server uses the oldstyle protocol, which has no export names");
        }

        if (style != OptionMagic)
        {
            throw new NbdClientException($"Bad server option magic 0x{style:x16}");
        }

        ushort serverFlags = BinaryPrimitives.ReadUInt16BigEndian(greeting.AsSpan(16));
        if ((serverFlags & FlagFixedNewstyle) == 0)
        {
            throw new NbdClientException("The server does not support fixed newstyle negotiation");
        }

        bool noZeroes = (serverFlags & FlagNoZeroes) != 0;
        var clientFlags = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(clientFlags, ClientFlagFixedNewstyle | (noZeroes ? ClientFlagNoZeroes : 0));
        await Transport.SendAsync(clientFlags, cancellationToken);

        if (settings.Tls is { } credentials)
        {
            await StartTlsAsync(credentials);
        }

        var mode = await NegotiateRepliesAsync();
        uint? context = mode == NbdReplyMode.Simple ? null : await SetMetaContextAsync();
        if (context is null && settings.StatusContext != NbdMetaContext.BaseAllocationName)
        {
            throw new NbdClientException($"Requested metadata context '{settings.StatusContext}' not found");
        }

        return await GoAsync(mode, context, noZeroes);
    }

    private async Task StartTlsAsync(TlsCredentials credentials)
    {
        await SendOptionAsync(OptStartTls, []);
        var reply = await ReceiveReplyAsync(OptStartTls);
        if (reply.Type != RepAck)
        {
            throw Refused(reply, "Server does not support STARTTLS");
        }

        try
        {
            Transport = await TlsTransport.ConnectAsync(Transport, credentials, settings.TlsHostname, cancellationToken);
        }
        catch (EngineException e)
        {
            throw new NbdClientException(e.Message, e);
        }
    }

    /// <summary>Extended headers when the server has them, else structured replies, else simple replies.</summary>
    private async Task<NbdReplyMode> NegotiateRepliesAsync()
    {
        foreach (var (option, mode) in new[] { (OptExtendedHeaders, NbdReplyMode.Extended), (OptStructuredReply, NbdReplyMode.Structured) })
        {
            await SendOptionAsync(option, []);
            var reply = await ReceiveReplyAsync(option);
            if (reply.Type == RepAck)
            {
                return mode;
            }

            RequireError(reply);
        }

        return NbdReplyMode.Simple;
    }

    /// <summary>Selects the block-status context for the export; its id, or null when the server does not offer it.</summary>
    private async Task<uint?> SetMetaContextAsync()
    {
        var name = Encoding.UTF8.GetBytes(settings.Export);
        var query = Encoding.UTF8.GetBytes(settings.StatusContext);
        var payload = new byte[4 + name.Length + 4 + 4 + query.Length];
        BinaryPrimitives.WriteInt32BigEndian(payload, name.Length);
        name.CopyTo(payload, 4);
        BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(4 + name.Length), 1);
        BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(8 + name.Length), query.Length);
        query.CopyTo(payload, 12 + name.Length);
        await SendOptionAsync(OptSetMetaContext, payload);

        uint? id = null;
        while (true)
        {
            var reply = await ReceiveReplyAsync(OptSetMetaContext);
            if (reply.Type == RepAck)
            {
                return id;
            }

            if (reply.Type != RepMetaContext)
            {
                // A server without meta contexts (or without this export) says so; GO tells the rest.
                RequireError(reply);
                return null;
            }

            if (reply.Payload.Length < 4 || Encoding.UTF8.GetString(reply.Payload, 4, reply.Payload.Length - 4) != settings.StatusContext)
            {
                throw new NbdClientException("The server selected a metadata context that was not asked for");
            }

            id = BinaryPrimitives.ReadUInt32BigEndian(reply.Payload);
        }
    }

    private async Task<NbdRemoteExport> GoAsync(NbdReplyMode mode, uint? context, bool noZeroes)
    {
        var name = Encoding.UTF8.GetBytes(settings.Export);
        var payload = new byte[4 + name.Length + 2 + 2];
        BinaryPrimitives.WriteInt32BigEndian(payload, name.Length);
        name.CopyTo(payload, 4);
        BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(4 + name.Length), 1);
        BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(6 + name.Length), InfoBlockSize);
        await SendOptionAsync(OptGo, payload);

        (long Size, ushort Flags)? export = null;
        (uint Minimum, uint Preferred, uint Maximum) sizes = (1, PreferredBlockSize, NbdRemoteExport.DefaultMaximumBlock);
        while (true)
        {
            var reply = await ReceiveReplyAsync(OptGo);
            if (reply.Type == RepAck)
            {
                return export is { } found
                    ? new NbdRemoteExport(found.Size, found.Flags, sizes.Minimum, sizes.Preferred, sizes.Maximum, mode, context)
                    : throw new NbdClientException("The server ended NBD_OPT_GO without describing the export");
            }

            if (reply.Type == RepErrUnsup)
            {
                return await ExportNameAsync(mode, context, noZeroes);
            }

            if (reply.Type != RepInfo)
            {
                throw Refused(reply, reply.Type == RepErrUnknown ? $"Requested export '{settings.Export}' not available" : null);
            }

            if (reply.Payload.Length < 2)
            {
                throw new NbdClientException("NBD_REP_INFO without an information type");
            }

            ushort info = BinaryPrimitives.ReadUInt16BigEndian(reply.Payload);
            var body = reply.Payload.AsSpan(2);
            if (info == InfoExport && body.Length == 10)
            {
                export = (ReadSize(body), BinaryPrimitives.ReadUInt16BigEndian(body[8..]));
            }
            else if (info == InfoBlockSize && body.Length == 12)
            {
                sizes = CheckedSizes(BinaryPrimitives.ReadUInt32BigEndian(body), BinaryPrimitives.ReadUInt32BigEndian(body[4..]), BinaryPrimitives.ReadUInt32BigEndian(body[8..]));
            }
            else if (info is InfoExport or InfoBlockSize)
            {
                throw new NbdClientException($"NBD_REP_INFO type {info} has a wrong length of {body.Length}");
            }
        }
    }

    /// <summary>The old way into transmission: no refusal possible (the server hangs up), no block sizes.</summary>
    private async Task<NbdRemoteExport> ExportNameAsync(NbdReplyMode mode, uint? context, bool noZeroes)
    {
        await SendOptionAsync(OptExportName, Encoding.UTF8.GetBytes(settings.Export));
        byte[] reply;
        try
        {
            reply = await ReceiveAsync(noZeroes ? 10 : 134);
        }
        catch (EndOfStreamException)
        {
            throw new NbdClientException($"Requested export '{settings.Export}' not available");
        }

        return new NbdRemoteExport(ReadSize(reply), BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(8)), 1, PreferredBlockSize,
            NbdRemoteExport.DefaultMaximumBlock, mode, context);
    }

    private static long ReadSize(ReadOnlySpan<byte> bytes)
    {
        ulong size = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        return size <= long.MaxValue ? (long)size : throw new NbdClientException($"The export size {size} is too large");
    }

    /// <summary>The spec's rules: powers of two, minimum at most 64 KiB, minimum ≤ preferred ≤ maximum (or maximum a multiple of the minimum).</summary>
    private static (uint, uint, uint) CheckedSizes(uint minimum, uint preferred, uint maximum)
    {
        if (!uint.IsPow2(minimum) || minimum > 64 * 1024 || !uint.IsPow2(preferred) || preferred < minimum || maximum < minimum || maximum % minimum != 0)
        {
            throw new NbdClientException($"The server sent invalid block sizes (minimum {minimum}, preferred {preferred}, maximum {maximum})");
        }

        return (minimum, preferred, maximum);
    }

    // ---- option messages ------------------------------------------------------------------------------------------

    private readonly record struct OptionReply(uint Type, byte[] Payload);

    private Task SendOptionAsync(uint option, byte[] payload)
    {
        var message = new byte[16 + payload.Length];
        BinaryPrimitives.WriteUInt64BigEndian(message, OptionMagic);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(8), option);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(12), (uint)payload.Length);
        payload.CopyTo(message, 16);
        return Transport.SendAsync(message, cancellationToken).AsTask();
    }

    private async Task<OptionReply> ReceiveReplyAsync(uint option)
    {
        var header = await ReceiveAsync(20);
        ulong magic = BinaryPrimitives.ReadUInt64BigEndian(header);
        uint answered = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8));
        uint type = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(12));
        uint length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(16));
        if (magic != OptionReplyMagic)
        {
            throw new NbdClientException($"Bad option reply magic 0x{magic:x16}");
        }

        if (answered != option)
        {
            throw new NbdClientException($"The server answered option {answered} to option {option}");
        }

        if (length > MaxOptionLength)
        {
            throw new NbdClientException($"Option reply of {length} bytes is too long");
        }

        return new OptionReply(type, await ReceiveAsync((int)length));
    }

    private async Task<byte[]> ReceiveAsync(int length)
    {
        var buffer = new byte[length];
        try
        {
            await Transport.ReceiveExactlyAsync(buffer, cancellationToken);
        }
        catch (EndOfStreamException e)
        {
            throw new EndOfStreamException("the server closed the connection during the handshake", e);
        }

        return buffer;
    }

    /// <summary>A reply that is neither the answer asked for nor an error breaks the protocol.</summary>
    private static void RequireError(OptionReply reply)
    {
        if ((reply.Type & 0x80000000) == 0)
        {
            throw new NbdClientException($"Unexpected option reply type {reply.Type}");
        }
    }

    private static NbdClientException Refused(OptionReply reply, string? meaning)
    {
        RequireError(reply);
        string said = reply.Payload.Length > 0 ? Encoding.UTF8.GetString(reply.Payload) : $"error 0x{reply.Type:x8}";
        string text = reply.Type == RepErrTlsReqd ? "The server requires TLS" : meaning ?? "The server refused the export";
        return new NbdClientException($"{text}: {said}");
    }
}
