using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using ExportPS.Engine.Logging;
using ExportPS.Engine.Model;
using ExportPS.Engine.Threading;
using ExportPS.Engine.Transport;
using Microsoft.Extensions.ObjectPool;

namespace ExportPS.Engine.Exports.Nbd;

/// <summary>Which reply headers a connection negotiated.</summary>
internal enum NbdReplyMode
{
    Simple,
    Structured,
    Extended,
}

/// <summary>
/// One client connection: the handshake, then one receive loop that parses request headers out of a pooled buffer and
/// starts each request at once, inline: small requests are cheaper to run than to hand to another thread. Only bulk
/// requests with more requests buffered behind them go to the thread pool, so several cores copy their data. A request that has to wait finishes on its own
/// while the loop reads on, so replies go out of order; connections run in parallel with each other. While buffered
/// requests remain, the sender is corked, so the replies of one batch leave in one send. A lone client that waits for
/// each reply is polled for before the loop sleeps (<see cref="PollForNextRequest"/>). While the requests of the
/// connection hold <see cref="HeldBytesLimit"/> of data, the loop reads no more of them.
/// Every reply is composed whole and written by the connection's one <see cref="NbdReplySender"/>, so replies never
/// interleave on the wire.
/// Awaits here deliberately keep the caller's context: on an iothread everything of the connection stays on it.
/// </summary>
internal sealed partial class NbdConnection
{
    private const int ReceiveBufferLength = 64 * 1024;

    /// <summary>Pipelined requests from this size on run on the thread pool: their copying outweighs the thread hop.</summary>
    private const ulong ParallelRequest = 64 * 1024;

    /// <summary>
    /// Request data the connection holds at most before it stops reading requests (<see cref="NbdHeldBytes"/>): room for
    /// fio's 8 reads of 1 MiB or 32 of nbdcopy's 256 KiB, so the usual deep queues of bulk I/O never stall on it.
    /// </summary>
    internal const long HeldBytesLimit = 8 << 20;
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    private readonly NbdServer _server;
    private readonly NbdReplySender _sender;
    private readonly NbdHeldBytes _heldBytes = new(HeldBytesLimit);
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private StreamTransport _transport;
    private byte[]? _receiveBuffer;
    private int _receiveStart;
    private int _receiveEnd;
    private int _inFlight = 1; // the receive loop itself
    private int _aborted;
    private bool _corked;
    private int _requestsSinceWait;

    // What the client asked for, for the summary logged when it leaves (counted by the one receive loop).
    private long _requests;
    private long _bytesRead;
    private long _bytesWritten;

    // On the main loop, the engine's default poll settings; on an iothread, the iothread's.
    private AdaptivePoll _poll = new(IoThreadOptions.DefaultPollMaxNs);

    public NbdConnection(NbdServer server, StreamTransport transport, string client)
    {
        _server = server;
        _transport = transport;
        _sender = new NbdReplySender(this);
        Client = client;
    }

    /// <summary>Who is connected, for messages: "address:port", or "unix socket".</summary>
    public string Client { get; }

    public NbdReplyMode Mode { get; set; }

    /// <summary>The export this client holds a reference on (set when NBD_OPT_GO or NBD_OPT_EXPORT_NAME attached it).</summary>
    public NbdExport? Export { get; private set; }

    /// <summary>The metadata contexts selected with NBD_OPT_SET_META_CONTEXT and the export name they were selected for.</summary>
    public NbdMetaContextSelection? MetaContexts { get; set; }

    public StreamTransport Transport => _transport;

    /// <summary>Bytes of request data the connection holds now (<see cref="NbdHeldBytes"/>).</summary>
    internal long HeldBytes => _heldBytes.Held;

    /// <summary>How long the receive loop now polls before it sleeps, in <see cref="Stopwatch"/> ticks.</summary>
    internal long PollWindowTicks => _poll.WindowTicks;

    /// <summary>NBD_OPT_STARTTLS succeeded: from now on everything goes through <paramref name="transport"/>.</summary>
    public void UpgradeTransport(StreamTransport transport) => _transport = transport;

    public NbdServer Server => _server;

    /// <summary>Hard disconnect (hard export removal, server stop): the receive loop and pending sends fail at once.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            _transport.Abort();
        }
    }

    public async Task RunAsync()
    {
        bool clean = false;
        NbdExport? selected = null;
        ValueTask sending = default;
        try
        {
            using (var timeout = new CancellationTokenSource(HandshakeTimeout))
            {
                var handshake = new NbdHandshake(this);
                selected = await handshake.RunAsync(timeout.Token);
            }

            if (selected is not null)
            {
                _receiveBuffer = ArrayPool<byte>.Shared.Rent(ReceiveBufferLength);
                _poll = selected.IoThread?.NewPoll() ?? _poll;
                await (selected.IoThread is { } ioThread ? ioThread.Run(Transmit) : Transmit());
                Task Transmit()
                {
                    sending = _sender.RunAsync();
                    return TransmitAsync();
                }
            }

            clean = true;
        }
        catch (Exception e)
        {
            // A broken, hostile or dropped client, or a bug in handling it: this connection ends, nothing else does.
            // Only a connection the server itself ended (stop, hard removal) goes unreported.
            if (Volatile.Read(ref _aborted) == 0)
            {
                _server.OnClientError(this, Describe(e));
            }
        }
        finally
        {
            // After NBD_CMD_DISC the requests in flight still get their replies; after a failure nobody listens.
            if (!clean)
            {
                Abort();
            }

            if (Interlocked.Decrement(ref _inFlight) != 0)
            {
                await _drained.Task;
            }

            _sender.Close();
            await sending;
            Abort();
            if (_receiveBuffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_receiveBuffer);
                _receiveBuffer = null;
            }

            _transport.Dispose();
            Export?.Detach(this);
            _server.OnConnectionClosed(this);
            _server.Log.ClientClosed(Client, Export?.Name ?? "(none)", _requests, _bytesRead, _bytesWritten);
        }
    }

    private static string Describe(Exception e) => e switch
    {
        OperationCanceledException => $"the handshake did not finish within {HandshakeTimeout.TotalSeconds:0} s",
        _ => e.Message,
    };

    private void CountBytes(NbdRequest request)
    {
        if (request.Type == NbdProtocol.CmdRead)
        {
            _bytesRead += (long)request.Length;
        }
        else if (request.Type == NbdProtocol.CmdWrite)
        {
            _bytesWritten += (long)request.Length;
        }
    }

    /// <summary>Called by the handshake once the export accepted this client.</summary>
    public bool TryAttach(NbdExport export)
    {
        if (Export is not null || !export.TryAttach(this))
        {
            return false;
        }

        Export = export;
        _server.Log.ClientAttached(Client, export.Name, Mode.ToString(), _transport is TlsTransport ? "on" : "off");
        return true;
    }

    // ---- receiving ---------------------------------------------------------------------------------------------

    private async Task TransmitAsync()
    {
        var pool = _server.Requests;
        bool extended = Mode == NbdReplyMode.Extended;
        int headerLength = extended ? NbdProtocol.ExtendedRequestHeaderLength : NbdProtocol.RequestHeaderLength;

        try
        {
            await ReceiveRequestsAsync(pool, extended, headerLength);
        }
        finally
        {
            Uncork();
        }
    }

    private async Task ReceiveRequestsAsync(ObjectPool<NbdRequest> pool, bool extended, int headerLength)
    {
        // On an iothread, or under a caller's single-threaded context (a fuzz target's), everything stays on that one
        // thread; only a connection on the thread pool (the main loop's) hands bulk requests to other threads of it.
        bool onThreadPool = Export!.IoThread is null && SynchronizationContext.Current is null;
        while (true)
        {
            if (_heldBytes.Full)
            {
                Uncork();
                await _heldBytes.WaitForRoomAsync();
            }

            if (!await FillAsync(headerLength))
            {
                return; // the client closed between requests
            }

            var header = _receiveBuffer.AsSpan(_receiveStart, headerLength);
            uint magic = BinaryPrimitives.ReadUInt32BigEndian(header);
            if (magic != (extended ? NbdProtocol.ExtendedRequestMagic : NbdProtocol.RequestMagic))
            {
                throw new NbdProtocolException($"bad request magic 0x{magic:x8}");
            }

            _requestsSinceWait++;
            _requests++;
            var request = pool.Get();
            request.Connection = this;
            request.Flags = BinaryPrimitives.ReadUInt16BigEndian(header[4..]);
            request.Type = BinaryPrimitives.ReadUInt16BigEndian(header[6..]);
            request.Cookie = BinaryPrimitives.ReadUInt64BigEndian(header[8..]);
            request.Offset = BinaryPrimitives.ReadUInt64BigEndian(header[16..]);
            request.Length = extended ? BinaryPrimitives.ReadUInt64BigEndian(header[24..]) : BinaryPrimitives.ReadUInt32BigEndian(header[24..]);
            request.PayloadLength = 0;
            request.HeldBytes = 0;
            _receiveStart += headerLength;
            CountBytes(request);

            ulong payload = request.Type == NbdProtocol.CmdWrite || (extended && request.Has(NbdProtocol.CmdFlagPayloadLen)) ? request.Length : 0;
            if (payload > NbdProtocol.MaximumPayload)
            {
                // The payload cannot be skipped cheaply: answer, then close once the answer is out (QEMU closes too).
                Interlocked.Increment(ref _inFlight);
                request.Holders = 1;
                QueueError(request, NbdProtocol.EInval, $"request payload of {payload} bytes is larger than {NbdProtocol.MaximumPayload}");
                return;
            }

            if (payload > 0)
            {
                await ReceivePayloadAsync(request, (int)payload);
            }

            if (request.Type == NbdProtocol.CmdDisc)
            {
                pool.Return(request);
                return;
            }

            Interlocked.Increment(ref _inFlight);
            request.Holders = 2;
            request.HeldBytes = request.Type == NbdProtocol.CmdRead ? (int)Math.Min(request.Length, NbdProtocol.MaximumPayload) : (int)payload;
            _heldBytes.Take(request.HeldBytes);
            if (_receiveEnd - _receiveStart >= headerLength)
            {
                // More requests are already here: their replies go out together once the loop has to wait again.
                Cork();
                if (onThreadPool && request.Length >= ParallelRequest)
                {
                    // A bulk request: another core copies its data while the loop starts the next one.
                    ThreadPool.UnsafeQueueUserWorkItem(request, preferLocal: false);
                    continue;
                }
            }

            Start(request);
        }
    }

    private void Cork()
    {
        if (!_corked)
        {
            _corked = true;
            _sender.Cork();
        }
    }

    /// <summary>Before every wait for the network and when the loop ends: held replies must not wait on the client.</summary>
    private void Uncork()
    {
        if (_corked)
        {
            _corked = false;
            _sender.Uncork();
        }
    }

    /// <summary>Runs a request; when it has to wait, it finishes on its own (no allocation: pooled builder, cached continuation).</summary>
    internal void Start(NbdRequest request)
    {
        var processing = ProcessAsync(request);
        if (processing.IsCompleted)
        {
            processing.GetAwaiter().GetResult();
            Release(request);
        }
        else
        {
            request.Pending = processing;
            processing.GetAwaiter().UnsafeOnCompleted(request.OnCompleted);
        }
    }

    /// <summary>Buffers at least <paramref name="count"/> bytes; false if the client closed cleanly before sending any.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FillAsync(int count)
    {
        var buffer = _receiveBuffer!;
        while (_receiveEnd - _receiveStart < count)
        {
            if (_receiveStart == _receiveEnd)
            {
                _receiveStart = _receiveEnd = 0;
            }
            else if (buffer.Length - _receiveStart < count)
            {
                Buffer.BlockCopy(buffer, _receiveStart, buffer, 0, _receiveEnd - _receiveStart);
                _receiveEnd -= _receiveStart;
                _receiveStart = 0;
            }

            Uncork();
            long waitStart = Stopwatch.GetTimestamp();
            bool polling = PollForNextRequest(waitStart);
            int received = await _transport.ReceiveAsync(buffer.AsMemory(_receiveEnd), CancellationToken.None);
            if (polling)
            {
                _poll.Observe(Stopwatch.GetTimestamp() - waitStart);
            }

            if (received == 0)
            {
                if (_receiveEnd == _receiveStart)
                {
                    return false;
                }

                throw new NbdProtocolException("the client closed the connection in the middle of a request");
            }

            _receiveEnd += received;
        }

        return true;
    }

    /// <summary>
    /// Before the loop sleeps on the network: a client that sent one request and got its reply sends the next one right
    /// after it, so the loop stays awake for it a while (<see cref="AdaptivePoll"/>). Not while a request is still in
    /// flight: its client waits for the reply, and on an iothread the poll would hold up the very continuation that
    /// sends it. Only for the server's one client: on the shared event loop a poll would keep other clients waiting.
    /// True if this wait teaches the window.
    /// </summary>
    private bool PollForNextRequest(long waitStart)
    {
        bool polling = _requestsSinceWait == 1 && Volatile.Read(ref _inFlight) == 1 && _server.HasOneClient;
        _requestsSinceWait = 0;
        if (polling && _poll.WindowTicks > 0)
        {
            _transport.SpinUntilReadable(waitStart + _poll.WindowTicks);
        }

        return polling;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReceivePayloadAsync(NbdRequest request, int length)
    {
        var destination = request.RentBuffer(length);
        int buffered = Math.Min(length, _receiveEnd - _receiveStart);
        Buffer.BlockCopy(_receiveBuffer!, _receiveStart, destination, 0, buffered);
        _receiveStart += buffered;
        if (buffered < length)
        {
            Uncork();
            await _transport.ReceiveExactlyAsync(destination.AsMemory(buffered, length - buffered), CancellationToken.None);
        }

        request.PayloadLength = length;
    }

    /// <summary>Processing or sending is done with the request; after both, its buffers go back and a draining connection may close.</summary>
    internal void Release(NbdRequest request)
    {
        if (Interlocked.Decrement(ref request.Holders) != 0)
        {
            return;
        }

        _heldBytes.Give(request.HeldBytes);
        _server.Requests.Return(request);
        if (Interlocked.Decrement(ref _inFlight) == 0)
        {
            _drained.TrySetResult();
        }
    }
}
