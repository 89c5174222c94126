using System.Net.Sockets;
using ExportPS.Engine.Logging;
using ExportPS.Engine.Threading;
using ExportPS.Engine.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace ExportPS.Engine.VhostUser;

/// <summary>
/// One front-end connection of a vhost-user back-end: reads each message (header, payload and the fds that came with
/// them) off the unix socket, has the <see cref="VhostUserBackend"/> handle it, writes the reply, and lets the kick
/// poller look at the rings again. The connection is dropped when the front-end breaks the protocol, or when a request
/// failed without the front-end being told (the two sides would be out of step), as libvhost-user does.
/// </summary>
internal sealed class VhostUserSession : IDisposable
{
    private readonly UnixSocketTransport _transport;
    private readonly VringKickPoller _poller;
    private readonly CancellationTokenSource _aborted = new();
    private readonly string _name;
    private readonly ILogger _log;
    private string? _abortReason;

    /// <param name="stopTimeout">How long GET_VRING_BASE waits for requests in flight (<see cref="VhostUserBackend.StopTimeout"/>).</param>
    public VhostUserSession(Socket socket, IVhostUserDevice device, IoThread? ioThread, string name, ILogger log, TimeSpan? stopTimeout = null)
    {
        _name = name;
        _log = log;
        _transport = new UnixSocketTransport(socket, MemoryTablePayload.MaxRegions);
        Backend = new VhostUserBackend(device) { StopTimeout = stopTimeout ?? VhostUserBackend.DefaultStopTimeout };
        _poller = new VringKickPoller(Backend, device.ProcessQueue, ioThread, name);
    }

    public VhostUserBackend Backend { get; }

    /// <summary>Why the session ended, when it was not the front-end closing the socket; null otherwise.</summary>
    public string? FailureReason { get; private set; }

    /// <summary>The last request that failed, including those the front-end was told of (and the session went on).</summary>
    public string? LastError { get; private set; }

    /// <summary>Serves messages until the front-end disconnects, breaks the protocol, or the session is aborted.</summary>
    public async Task RunAsync()
    {
        _log.Connected(_name);
        try
        {
            await ServeAsync().ConfigureAwait(false);
        }
        finally
        {
            if (FailureReason is { } reason)
            {
                _log.ProtocolError(_name, reason);
            }
            else if (Volatile.Read(ref _abortReason) is { } abortReason)
            {
                _log.Aborted(_name, abortReason);
            }
            else
            {
                _log.Disconnected(_name);
            }
        }
    }

    private async Task ServeAsync()
    {
        var header = new byte[VhostUserHeader.Length];
        var payload = new byte[VhostUserCodec.MaxPayloadSize];
        var fds = new List<SafeFileHandle>();
        try
        {
            while (true)
            {
                fds.Clear();
                if (!await ReceiveAsync(header, fds, atMessageStart: true).ConfigureAwait(false))
                {
                    return;
                }

                var parsedHeader = VhostUserCodec.ParseHeader(header);
                var body = payload.AsMemory(0, (int)parsedHeader.Size);
                await ReceiveAsync(body, fds, atMessageStart: false).ConfigureAwait(false);
                var message = VhostUserCodec.Parse(parsedHeader, body.Span, fds);
                fds.Clear();

                var outcome = await Backend.HandleAsync(message).ConfigureAwait(false);
                if (outcome.Reply is { } reply)
                {
                    await SendAsync(reply).ConfigureAwait(false);
                }

                _poller.Refresh();
                if (outcome.Failed)
                {
                    LastError = outcome.Error;
                }

                if (outcome.Failed && !outcome.FailureReported)
                {
                    FailureReason = outcome.Error;
                    return;
                }
            }
        }
        catch (VhostUserProtocolException e)
        {
            FailureReason = e.Message;
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The socket failed or was aborted: the session is over either way.
            FailureReason = _aborted.IsCancellationRequested ? null : e.Message;
        }
        finally
        {
            foreach (var fd in fds)
            {
                fd.Dispose();
            }
        }
    }

    /// <summary>
    /// After <see cref="RunAsync"/>: waits (bounded by the stop timeout, cut short by <see cref="Abort"/>) for the requests
    /// the front-end left in flight, as QEMU's vhost-user server does before it lets the memory go and takes the next
    /// front-end. <see cref="Dispose"/> then abandons the rest, which write nothing more into guest memory.
    /// </summary>
    public async Task DrainAsync()
    {
        int running = await Backend.DrainAsync(_aborted.Token).ConfigureAwait(false);
        if (running > 0)
        {
            _log.RequestsAbandoned(_name, running, Backend.StopTimeout.TotalSeconds);
        }
    }

    private async ValueTask SendAsync(VhostUserReply reply)
    {
        using var fd = reply.Fd;
        if (fd is null)
        {
            await _transport.SendAsync(reply.Encode(), _aborted.Token).ConfigureAwait(false);
            return;
        }

        await _transport.SendAsync(reply.Encode(), [(int)fd.DangerousGetHandle()], _aborted.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// Fills <paramref name="buffer"/>, collecting the fds that arrive with it. False when the front-end closed the socket
    /// between two messages; a close in the middle of one is an <see cref="EndOfStreamException"/>.
    /// </summary>
    private async ValueTask<bool> ReceiveAsync(Memory<byte> buffer, List<SafeFileHandle> fds, bool atMessageStart)
    {
        bool first = true;
        while (!buffer.IsEmpty)
        {
            int received = await _transport.ReceiveAsync(buffer, fds, _aborted.Token).ConfigureAwait(false);
            if (received == 0)
            {
                return first && atMessageStart ? false : throw new EndOfStreamException("the front-end closed the connection in the middle of a message");
            }

            first = false;
            buffer = buffer[received..];
        }

        return true;
    }

    /// <summary>
    /// Hard disconnect: the socket is shut, so the loop ends and the front-end sees the back-end gone.
    /// <paramref name="reason"/> says why, for the log.
    /// </summary>
    public void Abort(string reason)
    {
        Volatile.Write(ref _abortReason, reason);
        try
        {
            _aborted.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The session already ended on its own.
        }

        _transport.Abort();
    }

    public void Dispose()
    {
        _poller.Dispose();
        Backend.Dispose();
        _transport.Dispose();
        _aborted.Dispose();
    }
}
