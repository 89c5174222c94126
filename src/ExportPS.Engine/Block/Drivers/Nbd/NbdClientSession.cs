using System.Buffers.Binary;
using System.Text;
using ExportPS.Engine.Exports.Nbd;
using ExportPS.Engine.Transport;
using static ExportPS.Engine.Exports.Nbd.NbdProtocol;

namespace ExportPS.Engine.Block.Drivers.Nbd;

/// <summary>
/// The transmission phase of one connection: requests from any number of callers go out one whole message at a time,
/// each with its own cookie, while one receive loop matches replies (simple, structured or extended) to the requests
/// in flight. Every reply is checked against its request; a server that breaks the protocol (bad magic, an unknown
/// cookie, a chunk outside its request, an oversized payload) ends the session, and every request in flight fails with
/// <see cref="NbdConnectionLostException"/>, as do requests sent later.
/// </summary>
internal sealed class NbdClientSession : IDisposable
{
    /// <summary>Largest non-data reply payload accepted (block status, error messages): far above what a sane server sends.</summary>
    private const int MaxMetadataPayload = 1 << 20;

    /// <summary>Payloads up to this size go out in one send with their header.</summary>
    private const int InlinePayload = 64 * 1024;

    private readonly StreamTransport _transport;
    private readonly NbdReplyReader _reader;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly byte[] _sendBuffer = new byte[ExtendedRequestHeaderLength + InlinePayload];
    private readonly Dictionary<ulong, NbdClientRequest> _inFlight = [];
    private readonly byte[] _header = new byte[ExtendedReplyLength];
    private ulong _nextCookie;
    private Exception? _failure;

    /// <param name="receiveContext">
    /// Where the receive loop runs: by default on the thread pool; a caller that runs the whole session on its one thread
    /// (the fuzz target) passes that thread's context, and the loop starts when the caller lets it run.
    /// </param>
    public NbdClientSession(StreamTransport transport, NbdRemoteExport export, SynchronizationContext? receiveContext = null)
    {
        _transport = transport;
        _reader = new NbdReplyReader(transport);
        Export = export;
        Completion = receiveContext is null ? Task.Run(ReceiveLoopAsync) : StartOn(receiveContext);
    }

    public NbdRemoteExport Export { get; }

    private Task<Exception> StartOn(SynchronizationContext context)
    {
        var started = new TaskCompletionSource<Task<Exception>>();
        context.Post(_ => started.SetResult(ReceiveLoopAsync()), null);
        return started.Task.Unwrap();
    }

    /// <summary>Ends when the connection does, with the reason (never faulted).</summary>
    public Task<Exception> Completion { get; }

    private bool Extended => Export.Mode == NbdReplyMode.Extended;

    /// <summary>Sends <paramref name="request"/> (with <paramref name="payload"/> for WRITE) and waits for its whole reply.</summary>
    public async Task RunAsync(NbdClientRequest request, ushort flags, ReadOnlyMemory<byte> payload = default)
    {
        lock (_inFlight)
        {
            if (_failure is not null)
            {
                throw new NbdConnectionLostException(_failure);
            }

            request.Cookie = ++_nextCookie;
            _inFlight.Add(request.Cookie, request);
        }

        try
        {
            await SendAsync(request, flags, payload).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Part of the message may be on the wire: the connection is unusable. The receive loop fails the request.
            _transport.Abort();
        }

        await request.Completion.ConfigureAwait(false);
    }

    private async Task SendAsync(NbdClientRequest request, ushort flags, ReadOnlyMemory<byte> payload)
    {
        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            int header = WriteHeader(_sendBuffer, request.Type, flags, request.Cookie, request.Offset, request.Length);
            if (payload.Length <= InlinePayload)
            {
                payload.Span.CopyTo(_sendBuffer.AsSpan(header));
                await _transport.SendAsync(_sendBuffer.AsMemory(0, header + payload.Length), CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                await _transport.SendAsync(_sendBuffer.AsMemory(0, header), CancellationToken.None).ConfigureAwait(false);
                await _transport.SendAsync(payload, CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>The request header, compact or extended as negotiated; its length.</summary>
    private int WriteHeader(Span<byte> destination, ushort type, ushort flags, ulong cookie, long offset, long length)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, Extended ? ExtendedRequestMagic : RequestMagic);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], flags);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], type);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], cookie);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], (ulong)offset);
        if (Extended)
        {
            BinaryPrimitives.WriteUInt64BigEndian(destination[24..], (ulong)length);
            return ExtendedRequestHeaderLength;
        }

        BinaryPrimitives.WriteUInt32BigEndian(destination[24..], checked((uint)length));
        return RequestHeaderLength;
    }

    // ---- replies ---------------------------------------------------------------------------------------------------

    private async Task<Exception> ReceiveLoopAsync()
    {
        Exception reason;
        try
        {
            while (true)
            {
                await _reader.ReadExactlyAsync(_header.AsMemory(0, 4)).ConfigureAwait(false);
                uint magic = BinaryPrimitives.ReadUInt32BigEndian(_header);
                if (magic == SimpleReplyMagic && !Extended)
                {
                    await ReceiveSimpleAsync().ConfigureAwait(false);
                }
                else if ((magic == StructuredReplyMagic && Export.Mode == NbdReplyMode.Structured) || (magic == ExtendedReplyMagic && Extended))
                {
                    await ReceiveChunkAsync().ConfigureAwait(false);
                }
                else
                {
                    throw new NbdClientException($"Bad reply magic 0x{magic:x8}");
                }
            }
        }
        catch (Exception e)
        {
            reason = e;
        }

        _transport.Abort();
        NbdClientRequest[] orphans;
        lock (_inFlight)
        {
            _failure = reason;
            orphans = [.. _inFlight.Values];
            _inFlight.Clear();
        }

        foreach (var request in orphans)
        {
            request.Fail(new NbdConnectionLostException(reason));
        }

        return reason;
    }

    private async Task ReceiveSimpleAsync()
    {
        await _reader.ReadExactlyAsync(_header.AsMemory(4, SimpleReplyLength - 4)).ConfigureAwait(false);
        uint error = BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(4));
        var request = Find(BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(8)));
        if (request.Type == CmdRead && error == 0)
        {
            if (Export.Mode != NbdReplyMode.Simple)
            {
                throw new NbdClientException("A simple reply to a read after structured replies were negotiated");
            }

            await _reader.ReadExactlyAsync(request.Destination).ConfigureAwait(false);
            request.TryCover(request.Offset, request.End);
        }

        request.RecordError(error, null);
        Complete(request);
    }

    private async Task ReceiveChunkAsync()
    {
        int headerLength = Extended ? ExtendedReplyLength : StructuredReplyLength;
        await _reader.ReadExactlyAsync(_header.AsMemory(4, headerLength - 4)).ConfigureAwait(false);
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(_header.AsSpan(4));
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(_header.AsSpan(6));
        var request = Find(BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(8)));
        ulong length = Extended ? BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(24)) : BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(16));

        switch (type)
        {
            case ReplyTypeNone:
                if (length != 0 || (flags & ReplyFlagDone) == 0)
                {
                    throw new NbdClientException("NBD_REPLY_TYPE_NONE with a payload or without the done flag");
                }

                break;
            case ReplyTypeOffsetData:
                await ReceiveDataAsync(request, length).ConfigureAwait(false);
                break;
            case ReplyTypeOffsetHole:
                await ReceiveHoleAsync(request, length).ConfigureAwait(false);
                break;
            case ReplyTypeBlockStatus or ReplyTypeBlockStatusExt:
                await ReceiveBlockStatusAsync(request, type, length).ConfigureAwait(false);
                break;
            default:
                await ReceiveErrorAsync(request, type, length).ConfigureAwait(false);
                break;
        }

        if ((flags & ReplyFlagDone) != 0)
        {
            Complete(request);
        }
    }

    private async Task ReceiveDataAsync(NbdClientRequest request, ulong length)
    {
        if (request.Type != CmdRead || length <= 8 || length - 8 > (ulong)request.Length)
        {
            throw new NbdClientException($"A data chunk of {length} bytes does not fit the request");
        }

        long offset = await ReadOffsetAsync().ConfigureAwait(false);
        long size = (long)length - 8;
        CheckCovers(request, offset, size);
        await _reader.ReadExactlyAsync(request.Destination.Slice((int)(offset - request.Offset), (int)size)).ConfigureAwait(false);
    }

    private async Task ReceiveHoleAsync(NbdClientRequest request, ulong length)
    {
        if (request.Type != CmdRead || length != 12)
        {
            throw new NbdClientException($"A hole chunk of {length} bytes does not fit the request");
        }

        long offset = await ReadOffsetAsync().ConfigureAwait(false);
        await _reader.ReadExactlyAsync(_header.AsMemory(0, 4)).ConfigureAwait(false);
        long size = BinaryPrimitives.ReadUInt32BigEndian(_header);
        CheckCovers(request, offset, size);
        request.Destination.Span.Slice((int)(offset - request.Offset), (int)size).Clear();
    }

    private static void CheckCovers(NbdClientRequest request, long offset, long size)
    {
        if (size <= 0 || offset < request.Offset || offset > request.End - size || !request.TryCover(offset, offset + size))
        {
            throw new NbdClientException($"A read chunk at offset {offset} of {size} bytes lies outside its request or overlaps another");
        }
    }

    /// <summary>Block status descriptors: the first one of the context asked for answers the request.</summary>
    private async Task ReceiveBlockStatusAsync(NbdClientRequest request, ushort type, ulong length)
    {
        bool extended = type == ReplyTypeBlockStatusExt;
        int prefix = extended ? 8 : 4;
        int descriptor = extended ? 16 : 8;
        if (request.Type != CmdBlockStatus || extended != Extended || length < (ulong)(prefix + descriptor) || length > MaxMetadataPayload
            || (length - (ulong)prefix) % (ulong)descriptor != 0)
        {
            throw new NbdClientException($"A block status chunk of {length} bytes does not fit the request");
        }

        var payload = new byte[length];
        await _reader.ReadExactlyAsync(payload).ConfigureAwait(false);
        if (BinaryPrimitives.ReadUInt32BigEndian(payload) != Export.StatusContext || request.Extent is not null)
        {
            return;
        }

        var first = payload.AsSpan(prefix);
        ulong extentLength = extended ? BinaryPrimitives.ReadUInt64BigEndian(first) : BinaryPrimitives.ReadUInt32BigEndian(first);
        ulong state = extended ? BinaryPrimitives.ReadUInt64BigEndian(first[8..]) : BinaryPrimitives.ReadUInt32BigEndian(first[4..]);
        if (extentLength == 0)
        {
            throw new NbdClientException("A block status extent of length 0");
        }

        // A hole is the node's unallocated range; the zero bit says how it reads.
        request.Extent = new BlockExtent((long)Math.Min(extentLength, (ulong)request.Length), (state & StateHole) == 0, (state & StateZero) != 0);
    }

    private async Task ReceiveErrorAsync(NbdClientRequest request, ushort type, ulong length)
    {
        if ((type & 0x8000) == 0)
        {
            throw new NbdClientException($"Unknown reply chunk type {type}");
        }

        if (length < 6 || length > MaxMetadataPayload)
        {
            throw new NbdClientException($"An error chunk of {length} bytes");
        }

        var payload = new byte[length];
        await _reader.ReadExactlyAsync(payload).ConfigureAwait(false);
        uint errno = BinaryPrimitives.ReadUInt32BigEndian(payload);
        int messageLength = BinaryPrimitives.ReadUInt16BigEndian(payload.AsSpan(4));
        if (errno == 0 || messageLength > payload.Length - 6 || (type == ReplyTypeErrorOffset && payload.Length != 6 + messageLength + 8))
        {
            throw new NbdClientException($"A malformed error chunk of type {type}");
        }

        request.RecordError(errno, Encoding.UTF8.GetString(payload, 6, messageLength));
    }

    private async Task<long> ReadOffsetAsync()
    {
        await _reader.ReadExactlyAsync(_header.AsMemory(0, 8)).ConfigureAwait(false);
        ulong offset = BinaryPrimitives.ReadUInt64BigEndian(_header);
        return offset <= long.MaxValue ? (long)offset : throw new NbdClientException($"A chunk at offset {offset}");
    }

    private NbdClientRequest Find(ulong cookie)
    {
        lock (_inFlight)
        {
            return _inFlight.TryGetValue(cookie, out var request)
                ? request
                : throw new NbdClientException($"A reply for cookie {cookie}, which no request in flight has");
        }
    }

    private void Complete(NbdClientRequest request)
    {
        lock (_inFlight)
        {
            _inFlight.Remove(request.Cookie);
        }

        request.Finish();
    }

    /// <summary>Says goodbye (NBD_CMD_DISC) when the connection still works, then closes it.</summary>
    public void Dispose()
    {
        if (_failure is null && _sendLock.Wait(TimeSpan.FromSeconds(1)))
        {
            try
            {
                int length = WriteHeader(_sendBuffer, CmdDisc, 0, 0, 0, 0);
                _transport.SendAsync(_sendBuffer.AsMemory(0, length), CancellationToken.None).AsTask().Wait(TimeSpan.FromSeconds(1));
            }
            catch (AggregateException)
            {
                // The server is gone already: nothing to say goodbye to.
            }
            finally
            {
                _sendLock.Release();
            }
        }

        _transport.Abort();
        Completion.Wait(TimeSpan.FromSeconds(5));
        _transport.Dispose();
    }
}
