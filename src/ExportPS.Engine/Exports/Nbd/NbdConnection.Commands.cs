using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text.Unicode;
using ExportPS.Engine.Block;
using static ExportPS.Engine.Exports.Nbd.NbdProtocol;

namespace ExportPS.Engine.Exports.Nbd;

/// <summary>
/// The transmission phase: every request is checked in one place (flags, range, permissions) and only then reaches the
/// node; the reply is composed in one buffer (headers in front of the data read into it) and sent in one piece.
/// </summary>
internal sealed partial class NbdConnection
{
    /// <summary>Zero blocks of this size (aligned) become holes in structured READ replies.</summary>
    private const int HoleBlock = 4096;
    private const int MaxStatusExtents = 8192;
    private const int MaxStatusQueries = 65536;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ProcessAsync(NbdRequest request)
    {
        var export = Export!;
        uint error;
        string? message = null;
        int reply = 0;
        bool failedInDriver = false;
        try
        {
            error = Validate(request, export, out message);
            if (error == 0)
            {
                reply = await ExecuteAsync(request, export);
            }
        }
        catch (Exception e)
        {
            error = ErrnoOf(e);
            message = e.Message;
            failedInDriver = true;
        }

        if (error != 0)
        {
            QueueError(request, error, message, failedInDriver && request.Type == CmdRead);
        }
        else
        {
            request.Reply = reply > 0 ? request.Buffer.AsMemory(0, reply) : request.Scratch.AsMemory(0, WriteSuccess(request));
            await _sender.SendAsync(request);
        }
    }

    private uint Validate(NbdRequest request, NbdExport export, out string? message)
    {
        message = null;
        ushort allowed = CmdFlagFua;
        bool writes = false;
        bool ranged = true;
        switch (request.Type)
        {
            case CmdRead:
                allowed |= CmdFlagDf;
                if (request.Length > MaximumPayload)
                {
                    message = $"read of {request.Length} bytes is larger than the maximum of {MaximumPayload}";
                    return request.Has(CmdFlagDf) ? EOverflow : EInval;
                }

                break;
            case CmdWrite:
                allowed |= CmdFlagPayloadLen;
                writes = true;
                break;
            case CmdTrim:
                writes = true;
                break;
            case CmdWriteZeroes:
                allowed |= CmdFlagNoHole | CmdFlagFastZero;
                writes = true;
                break;
            case CmdFlush:
                ranged = false;
                break;
            case CmdCache:
                break;
            case CmdBlockStatus:
                allowed |= CmdFlagReqOne | CmdFlagPayloadLen;
                var contexts = request.MetaContexts = MetaContextsFor(export);
                if (contexts is null)
                {
                    message = "no metadata context was negotiated";
                    return EInval;
                }

                if (request.Has(CmdFlagPayloadLen) && !TryReadStatusPayload(request, contexts, out message))
                {
                    return EInval;
                }

                if (request.Length == 0)
                {
                    message = "block status of length 0";
                    return EInval;
                }

                break;
            default:
                message = $"unknown command {request.Type}";
                return EInval;
        }

        if ((request.Flags & ~allowed) != 0 || (request.Has(CmdFlagPayloadLen) && Mode != NbdReplyMode.Extended)
            || (request.Has(CmdFlagDf) && Mode == NbdReplyMode.Simple))
        {
            message = $"unsupported flags 0x{request.Flags:x} for command {request.Type}";
            return EInval;
        }

        if (export.ShuttingDown)
        {
            message = "the export is shutting down";
            return EShutdown;
        }

        if (writes && !export.Options.Writable)
        {
            message = "the export is read-only";
            return EPerm;
        }

        long size = export.Node.Size;
        if (ranged && (request.Offset > (ulong)size || request.Length > (ulong)size - request.Offset))
        {
            message = $"request at offset {request.Offset} of length {request.Length} is beyond the end of the export ({size} bytes)";
            return EInval;
        }

        return 0;
    }

    /// <summary>
    /// Runs the command against the node. Returns the length of a reply composed in the request buffer, or 0 for a plain
    /// success.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ExecuteAsync(NbdRequest request, NbdExport export)
    {
        var node = export.Node;
        var policy = export.IoPolicy;
        long offset = (long)request.Offset;
        bool fua = request.Has(CmdFlagFua);
        switch (request.Type)
        {
            case CmdRead:
                return await ReadAsync(request, node);
            case CmdWrite:
                await policy.WriteAsync(node, offset, request.Buffer.AsMemory(0, request.PayloadLength), fua);
                return 0;
            case CmdTrim:
                await policy.DiscardAsync(node, offset, (long)request.Length, fua);
                return 0;
            case CmdWriteZeroes:
                var flags = (request.Has(CmdFlagNoHole) ? WriteZeroesFlags.None : WriteZeroesFlags.MayUnmap)
                    | (request.Has(CmdFlagFastZero) ? WriteZeroesFlags.FastOnly : WriteZeroesFlags.None);
                await policy.WriteZeroesAsync(node, offset, (long)request.Length, flags, fua);
                return 0;
            case CmdFlush:
                await node.FlushAsync();
                return 0;
            case CmdCache:
                await node.PrefetchAsync(offset, (long)request.Length);
                return 0;
            case CmdBlockStatus:
                return await BlockStatusAsync(request, export);
        }

        return 0;
    }

    // ---- READ ----------------------------------------------------------------------------------------------------

    /// <summary>
    /// Composes the whole reply in the request buffer: the data is read straight behind its chunk header. With structured
    /// replies and without DF, aligned 4 KiB blocks that read as zeroes go out as OFFSET_HOLE chunks (no payload). Zeroes
    /// are found in the data rather than through block status, which some drivers answer slowly (lseek on tmpfs); the scan
    /// stops at the first non-zero byte of each block, so real data costs next to nothing.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadAsync(NbdRequest request, BlockNode node)
    {
        long offset = (long)request.Offset;
        int length = (int)request.Length;
        if (Mode == NbdReplyMode.Simple)
        {
            var simple = request.RentBuffer(SimpleReplyLength + length);
            await node.ReadAsync(offset, simple.AsMemory(SimpleReplyLength, length));
            WriteSimpleReply(simple, 0, request.Cookie);
            return SimpleReplyLength + length;
        }

        int header = ChunkHeaderLength;
        int prefix = header + 8;
        if (length == 0)
        {
            // OFFSET_DATA needs at least one byte, and a READ never gets a simple reply here.
            var none = request.RentBuffer(header);
            WriteChunkHeader(none, ReplyFlagDone, ReplyTypeNone, request, 0);
            return header;
        }

        var buffer = request.RentBuffer(prefix + length);
        await node.ReadAsync(offset, buffer.AsMemory(prefix, length));
        var chunks = request.ReadChunks;
        int count = request.Has(CmdFlagDf) ? 0 : FindHoles(request, buffer.AsSpan(prefix, length));
        if (count <= 1)
        {
            if (count == 0 || !chunks[0].Zero)
            {
                WriteDataChunkHeader(buffer, ReplyFlagDone, request, offset, length);
                return prefix + length;
            }

            WriteHoleChunk(buffer, ReplyFlagDone, request, offset, length);
            return header + 12;
        }

        // Data and holes mixed: lay the chunks out one after the other in a second buffer.
        int total = 0;
        for (int i = 0; i < count; i++)
        {
            total += chunks[i].Zero ? header + 12 : prefix + chunks[i].Length;
        }

        var composed = ArrayPool<byte>.Shared.Rent(total);
        int at = 0;
        int within = 0;
        for (int i = 0; i < count; i++)
        {
            var (run, zero) = chunks[i];
            ushort flags = i == count - 1 ? ReplyFlagDone : (ushort)0;
            if (zero)
            {
                WriteHoleChunk(composed.AsSpan(at), flags, request, offset + within, run);
                at += header + 12;
            }
            else
            {
                WriteDataChunkHeader(composed.AsSpan(at), flags, request, offset + within, run);
                buffer.AsSpan(prefix + within, run).CopyTo(composed.AsSpan(at + prefix));
                at += prefix + run;
            }

            within += run;
        }

        request.ReplaceBuffer(composed);
        return total;
    }

    /// <summary>Splits the data into runs of data and of whole zero blocks; returns the number of runs stored in <see cref="NbdRequest.ReadChunks"/>.</summary>
    private static int FindHoles(NbdRequest request, ReadOnlySpan<byte> data)
    {
        var chunks = request.ReadChunks;
        long offset = (long)request.Offset;
        int count = 0;
        int position = 0;
        while (position < data.Length)
        {
            int blockEnd = HoleBlockEnd(offset, position, data.Length);
            bool zero = IsHoleBlock(data[position..blockEnd]);
            int blockLength = blockEnd - position;
            if (count > 0 && chunks[count - 1].Zero == zero)
            {
                chunks[count - 1].Length += blockLength;
            }
            else if (count == chunks.Length)
            {
                // Enough fragments: the rest goes out as data.
                chunks[count - 1] = (chunks[count - 1].Length + (data.Length - position), false);
                break;
            }
            else
            {
                chunks[count++] = (blockLength, zero);
            }

            position = blockEnd;
        }

        return count;
    }

    /// <summary>Where the hole block holding byte <paramref name="position"/> of a read at <paramref name="offset"/> ends (at most <paramref name="length"/>).</summary>
    private static int HoleBlockEnd(long offset, int position, int length) =>
        (int)Math.Min(length, ((offset + position + HoleBlock) & ~(HoleBlock - 1)) - offset);

    /// <summary>A whole aligned block of zeroes; the scan stops at the first byte that is not.</summary>
    private static bool IsHoleBlock(ReadOnlySpan<byte> block) => block.Length == HoleBlock && block.IndexOfAnyExcept((byte)0) < 0;

    /// <summary>An OFFSET_DATA chunk header and offset; the <paramref name="length"/> bytes of data follow it.</summary>
    private void WriteDataChunkHeader(Span<byte> destination, ushort flags, NbdRequest request, long offset, int length)
    {
        WriteChunkHeader(destination, flags, ReplyTypeOffsetData, request, 8 + length);
        BinaryPrimitives.WriteInt64BigEndian(destination[ChunkHeaderLength..], offset);
    }

    private void WriteHoleChunk(Span<byte> destination, ushort flags, NbdRequest request, long offset, int length)
    {
        int header = ChunkHeaderLength;
        WriteChunkHeader(destination, flags, ReplyTypeOffsetHole, request, 12);
        BinaryPrimitives.WriteInt64BigEndian(destination[header..], offset);
        BinaryPrimitives.WriteInt32BigEndian(destination[(header + 8)..], length);
    }

    // ---- BLOCK_STATUS ----------------------------------------------------------------------------------------------

    private NbdMetaContext[]? MetaContextsFor(NbdExport export) =>
        Mode != NbdReplyMode.Simple && MetaContexts is { Contexts.Length: > 0 } selection && NamesExport(selection.ExportName, export)
            ? selection.Contexts
            : null;

    private bool NamesExport(string name, NbdExport export) => name == export.Name || _server.FindExport(name) == export;

    /// <summary>
    /// Extended headers with NBD_CMD_FLAG_PAYLOAD_LEN: the payload holds the effect length and the ids of the contexts
    /// wanted. The effect length replaces the header's length; the ids stay in the buffer for <see cref="BlockStatusAsync"/>.
    /// </summary>
    private static bool TryReadStatusPayload(NbdRequest request, NbdMetaContext[] contexts, out string? message)
    {
        message = null;
        int length = request.PayloadLength;
        if (length < 12 || (length - 8) % 4 != 0)
        {
            message = $"block status payload of {length} bytes is malformed";
            return false;
        }

        var payload = request.Buffer.AsSpan(0, length);
        for (int i = 8; i < length; i += 4)
        {
            uint id = BinaryPrimitives.ReadUInt32BigEndian(payload[i..]);
            if (Array.FindIndex(contexts, c => c.Id == id) < 0)
            {
                message = $"metadata context {id} was not negotiated";
                return false;
            }
        }

        request.Length = BinaryPrimitives.ReadUInt64BigEndian(payload);
        return true;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> BlockStatusAsync(NbdRequest request, NbdExport export)
    {
        var contexts = request.MetaContexts!;
        int maxExtents = request.Has(CmdFlagReqOne) ? 1 : MaxStatusExtents;
        bool extended = Mode == NbdReplyMode.Extended;
        int extentLength = extended ? 16 : 8;
        int prefix = ChunkHeaderLength + (extended ? 8 : 4);
        var wanted = request.Has(CmdFlagPayloadLen) ? request.Buffer.AsMemory(8, request.PayloadLength - 8) : default;

        var extents = ArrayPool<NbdExtent>.Shared.Rent(maxExtents);
        byte[]? reply = null;
        int at = 0;
        try
        {
            int left = 0;
            foreach (var context in contexts)
            {
                left += Selected(context) ? 1 : 0;
            }

            foreach (var context in contexts)
            {
                if (!Selected(context))
                {
                    continue;
                }

                left--;
                int count = await CollectExtentsAsync(context, export.Node, (long)request.Offset, (long)request.Length, extents, maxExtents);
                int chunk = prefix + (count * extentLength);
                if (reply is null || reply.Length - at < chunk)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(at + (chunk * (left + 1)));
                    reply?.AsSpan(0, at).CopyTo(larger);
                    if (reply is not null)
                    {
                        ArrayPool<byte>.Shared.Return(reply);
                    }

                    reply = larger;
                }

                var span = reply.AsSpan(at, chunk);
                WriteChunkHeader(span, left == 0 ? ReplyFlagDone : (ushort)0,
                    extended ? ReplyTypeBlockStatusExt : ReplyTypeBlockStatus, request, chunk - ChunkHeaderLength);
                var body = span[ChunkHeaderLength..];
                BinaryPrimitives.WriteUInt32BigEndian(body, context.Id);
                if (extended)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(body[4..], (uint)count);
                }

                body = body[(extended ? 8 : 4)..];
                for (int e = 0; e < count; e++)
                {
                    if (extended)
                    {
                        BinaryPrimitives.WriteUInt64BigEndian(body[(e * 16)..], (ulong)extents[e].Length);
                        BinaryPrimitives.WriteUInt64BigEndian(body[((e * 16) + 8)..], extents[e].Flags);
                    }
                    else
                    {
                        BinaryPrimitives.WriteUInt32BigEndian(body[(e * 8)..], (uint)extents[e].Length);
                        BinaryPrimitives.WriteUInt32BigEndian(body[((e * 8) + 4)..], extents[e].Flags);
                    }
                }

                at += chunk;
            }

            // The reply becomes the request's buffer (the payload in the old one is no longer needed): no second copy.
            request.ReplaceBuffer(reply!);
            reply = null;
            return at;
        }
        finally
        {
            ArrayPool<NbdExtent>.Shared.Return(extents);
            if (reply is not null)
            {
                ArrayPool<byte>.Shared.Return(reply);
            }
        }

        bool Selected(NbdMetaContext context) => wanted.IsEmpty || Wants(wanted.Span, context.Id);

        static bool Wants(ReadOnlySpan<byte> ids, uint id)
        {
            for (int i = 0; i < ids.Length; i += 4)
            {
                if (BinaryPrimitives.ReadUInt32BigEndian(ids[i..]) == id)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Extents from <paramref name="offset"/> on, neighbours with equal flags merged, at most <paramref name="maxExtents"/>.</summary>
    private static async ValueTask<int> CollectExtentsAsync(NbdMetaContext context, BlockNode node, long offset, long length, NbdExtent[] extents, int maxExtents)
    {
        long position = offset;
        long end = offset + length;
        int count = 0;
        for (int queries = 0; position < end && queries < MaxStatusQueries; queries++)
        {
            long run;
            uint flags;
            switch (context.Kind)
            {
                case NbdMetaContextKind.DirtyBitmap:
                    var bitmap = context.Bitmap!;
                    if (position >= bitmap.NodeSize)
                    {
                        (run, flags) = (end - position, 0);
                    }
                    else
                    {
                        var (bits, dirty) = bitmap.GetRun(position, end - position);
                        (run, flags) = (bits, dirty ? StateDirty : 0);
                    }

                    break;
                default:
                    var status = await node.GetBlockStatusAsync(position, end - position);
                    run = status.Length;
                    flags = context.Kind == NbdMetaContextKind.AllocationDepth
                        ? (uint)status.Depth
                        : (status.Data ? 0 : StateHole) | (status.Zero ? StateZero : 0);
                    break;
            }

            run = Math.Clamp(run, 1, end - position);
            if (count > 0 && extents[count - 1].Flags == flags)
            {
                extents[count - 1].Length += run;
            }
            else if (count == maxExtents)
            {
                break;
            }
            else
            {
                extents[count++] = new NbdExtent(run, flags);
            }

            position += run;
        }

        return count;
    }

    // ---- reply headers -----------------------------------------------------------------------------------------

    private int ChunkHeaderLength => Mode == NbdReplyMode.Extended ? ExtendedReplyLength : StructuredReplyLength;

    private static void WriteSimpleReply(Span<byte> destination, uint error, ulong cookie)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, SimpleReplyMagic);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], error);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], cookie);
    }

    /// <summary>A structured (20-byte) or extended (32-byte, echoing the request offset) chunk header.</summary>
    private void WriteChunkHeader(Span<byte> destination, ushort flags, ushort type, NbdRequest request, long payloadLength)
    {
        bool extended = Mode == NbdReplyMode.Extended;
        BinaryPrimitives.WriteUInt32BigEndian(destination, extended ? ExtendedReplyMagic : StructuredReplyMagic);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], flags);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], type);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], request.Cookie);
        if (extended)
        {
            BinaryPrimitives.WriteUInt64BigEndian(destination[16..], request.Offset);
            BinaryPrimitives.WriteUInt64BigEndian(destination[24..], (ulong)payloadLength);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[16..], (uint)payloadLength);
        }
    }

    /// <summary>Success without payload: a simple reply, or with extended headers (which forbid simple replies) a NONE chunk.</summary>
    private int WriteSuccess(NbdRequest request)
    {
        if (Mode == NbdReplyMode.Extended)
        {
            WriteChunkHeader(request.Scratch, ReplyFlagDone, ReplyTypeNone, request, 0);
            return ExtendedReplyLength;
        }

        WriteSimpleReply(request.Scratch, 0, request.Cookie);
        return SimpleReplyLength;
    }

    /// <summary>
    /// An error: a simple reply without structured replies, else an ERROR chunk that carries the message. A READ the
    /// driver failed gets ERROR_OFFSET naming where the failed read starts (the range itself was valid).
    /// </summary>
    private void QueueError(NbdRequest request, uint error, string? message, bool atOffset = false)
    {
        var scratch = request.Scratch;
        if (Mode == NbdReplyMode.Simple)
        {
            WriteSimpleReply(scratch, error, request.Cookie);
            request.Reply = scratch.AsMemory(0, SimpleReplyLength);
            _sender.Enqueue(request);
            return;
        }

        int header = ChunkHeaderLength;
        Utf8.FromUtf16(message ?? string.Empty, scratch.AsSpan(header + 6, NbdRequest.MaxMessage), out _, out int written);
        int payload = 6 + written + (atOffset ? 8 : 0);
        WriteChunkHeader(scratch, ReplyFlagDone, atOffset ? ReplyTypeErrorOffset : ReplyTypeError, request, payload);
        BinaryPrimitives.WriteUInt32BigEndian(scratch.AsSpan(header), error);
        BinaryPrimitives.WriteUInt16BigEndian(scratch.AsSpan(header + 4), (ushort)written);
        if (atOffset)
        {
            BinaryPrimitives.WriteUInt64BigEndian(scratch.AsSpan(header + 6 + written), request.Offset);
        }

        request.Reply = scratch.AsMemory(0, header + payload);
        _sender.Enqueue(request);
    }
}

/// <summary>One block-status extent before encoding: 32-bit or 64-bit on the wire depending on the headers.</summary>
internal record struct NbdExtent(long Length, uint Flags);
