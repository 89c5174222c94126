using System.Diagnostics;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Block.Drivers.Nbd;

/// <summary>
/// The node's link to its server across connection losses, as QEMU's reconnect: when a session ends, the link
/// reconnects in the background with backoff (for as long as the node exists, so a server that comes back is picked up
/// again); requests wait for it until reconnect-delay has passed since the loss, and fail with EIO after that. A server
/// that comes back with a different size, or read-only, is not taken back.
/// </summary>
internal sealed class NbdClientLink : IDisposable
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LongestBackoff = TimeSpan.FromSeconds(2);

    private readonly NbdClientSettings _settings;
    private readonly CancellationTokenSource _closing = new();
    private readonly object _lock = new();
    private NbdClientSession? _session;
    private TaskCompletionSource<NbdClientSession> _reconnected = NewWaiter();
    private long _lostAt;
    private Task _reconnecting = Task.CompletedTask;
    private int _reconnects;
    private string? _lastError;

    private NbdClientLink(NbdClientSettings settings, NbdClientSession first)
    {
        _settings = settings;
        Export = first.Export;
        Install(first);
    }

    /// <summary>The export as the first connection found it; later connections must match it.</summary>
    public NbdRemoteExport Export { get; }

    public NbdConnectionState State
    {
        get
        {
            lock (_lock)
            {
                return _closing.IsCancellationRequested ? NbdConnectionState.Closed
                    : _session is not null ? NbdConnectionState.Connected
                    : Stopwatch.GetElapsedTime(_lostAt) < _settings.ReconnectDelay ? NbdConnectionState.Reconnecting
                    : NbdConnectionState.Disconnected;
            }
        }
    }

    /// <summary>Connections made again after a loss.</summary>
    public int Reconnects => Volatile.Read(ref _reconnects);

    /// <summary>Why the last connection ended or the last attempt failed; null while the first connection lives.</summary>
    public string? LastError => Volatile.Read(ref _lastError);

    /// <summary>
    /// Connects for the first time, retrying until open-timeout has passed (one attempt when it is 0). Failure is an
    /// <see cref="EngineException"/> with QEMU's "Failed to connect to" text.
    /// </summary>
    public static NbdClientLink Open(NbdClientSettings settings, string nodeName) =>
        Task.Run(() => OpenAsync(settings, nodeName)).GetAwaiter().GetResult();

    private static async Task<NbdClientLink> OpenAsync(NbdClientSettings settings, string nodeName)
    {
        long started = Stopwatch.GetTimestamp();
        var backoff = FirstBackoff;
        while (true)
        {
            try
            {
                return new NbdClientLink(settings, await NbdConnector.ConnectAsync(settings, CancellationToken.None).ConfigureAwait(false));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                var left = settings.OpenTimeout - Stopwatch.GetElapsedTime(started);
                if (left <= TimeSpan.Zero)
                {
                    throw new EngineException(ErrorIds.BlockNodeOpenFailed, EngineErrorCategory.IoError,
                        $"Failed to connect to '{settings.Server}': {e.Message}", e) { Target = nodeName };
                }

                await Task.Delay(backoff < left ? backoff : left).ConfigureAwait(false);
                backoff = Next(backoff);
            }
        }
    }

    /// <summary>
    /// The live session; while reconnecting, waits for the next one until reconnect-delay has passed since the loss.
    /// Then (and with reconnect-delay 0 at once) the request fails with EIO.
    /// </summary>
    public async ValueTask<NbdClientSession> AcquireAsync(CancellationToken cancellationToken)
    {
        Task<NbdClientSession> next;
        TimeSpan left;
        lock (_lock)
        {
            if (_session is { } live)
            {
                return live;
            }

            next = _reconnected.Task;
            left = _closing.IsCancellationRequested ? TimeSpan.Zero : _settings.ReconnectDelay - Stopwatch.GetElapsedTime(_lostAt);
        }

        if (left > TimeSpan.Zero)
        {
            try
            {
                return await next.WaitAsync(left, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }

        throw new BlockIoException(BlockError.Io,
            $"The NBD server '{_settings.Server}' is not connected: {LastError ?? "the node is closed"}");
    }

    /// <summary>A request found <paramref name="session"/> dead; the reconnect starts if it has not yet.</summary>
    public void Lost(NbdClientSession session, Exception reason)
    {
        lock (_lock)
        {
            if (_session != session || _closing.IsCancellationRequested)
            {
                return;
            }

            _session = null;
            _lostAt = Stopwatch.GetTimestamp();
            _lastError = reason.Message;
            _reconnecting = Task.Run(ReconnectAsync);
        }

        session.Dispose();
    }

    private void Install(NbdClientSession session)
    {
        TaskCompletionSource<NbdClientSession> waiters;
        lock (_lock)
        {
            if (_closing.IsCancellationRequested)
            {
                session.Dispose();
                return;
            }

            _session = session;
            waiters = _reconnected;
            _reconnected = NewWaiter();
        }

        waiters.TrySetResult(session);
        _ = session.Completion.ContinueWith(ended => Lost(session, ended.Result), TaskScheduler.Default);
    }

    private async Task ReconnectAsync()
    {
        var backoff = FirstBackoff;
        while (!_closing.IsCancellationRequested)
        {
            try
            {
                var session = await NbdConnector.ConnectAsync(_settings, _closing.Token).ConfigureAwait(false);
                if (session.Export.DifferenceFrom(Export) is not { } difference)
                {
                    Interlocked.Increment(ref _reconnects);
                    Install(session);
                    return;
                }

                session.Dispose();
                Volatile.Write(ref _lastError, $"Reconnected, but {difference}");
            }
            catch (OperationCanceledException) when (_closing.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Volatile.Write(ref _lastError, $"Failed to connect to '{_settings.Server}': {e.Message}");
            }

            try
            {
                await Task.Delay(backoff, _closing.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = Next(backoff);
        }
    }

    private static TimeSpan Next(TimeSpan backoff) => backoff * 2 < LongestBackoff ? backoff * 2 : LongestBackoff;

    private static TaskCompletionSource<NbdClientSession> NewWaiter() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Stops reconnecting, closes the session (NBD_CMD_DISC) and fails whatever still waits.</summary>
    public void Dispose()
    {
        NbdClientSession? session;
        Task reconnecting;
        lock (_lock)
        {
            if (_closing.IsCancellationRequested)
            {
                return;
            }

            _closing.Cancel();
            session = _session;
            _session = null;
            reconnecting = _reconnecting;
        }

        session?.Dispose();
        reconnecting.Wait(TimeSpan.FromSeconds(15));
        _reconnected.TrySetException(new BlockIoException(BlockError.Io, "The nbd node is closed"));
    }
}
