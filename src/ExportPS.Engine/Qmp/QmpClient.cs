using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using ExportPS.Engine.Errors;

namespace ExportPS.Engine.Qmp;

/// <summary>A QMP error reply: its class, desc and, from an ExportPS server, the engine's error id and category.</summary>
public sealed class QmpErrorException(string command, string errorClass, string desc, string? errorId, string? category)
    : Exception(desc)
{
    public string Command { get; } = command;

    public string ErrorClass { get; } = errorClass;

    public string? ErrorId { get; } = errorId;

    public string? Category { get; } = category;
}

/// <summary>An asynchronous QMP event: its name, data and the server's timestamp.</summary>
public sealed record QmpEvent(string Name, JsonElement Data, DateTime TimestampUtc);

/// <summary>
/// A QMP client on a unix socket: reads the greeting, negotiates capabilities, then runs one command at a time,
/// matching replies by id. A background reader hands events to a single dispatcher task, so event handlers may run
/// commands themselves.
/// </summary>
public sealed class QmpClient : IDisposable
{
    private readonly Socket _socket;
    private readonly TimeSpan _timeout;
    private readonly SemaphoreSlim _oneCommand = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private readonly Channel<QmpEvent> _events = Channel.CreateUnbounded<QmpEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource<JsonElement> _greeting = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _reader;
    private readonly Task _dispatcher;
    private TaskCompletionSource<JsonElement>? _pending;
    private long _nextId;
    private volatile string? _failure;
    private int _disposed;

    private QmpClient(Socket socket, TimeSpan timeout)
    {
        _socket = socket;
        _timeout = timeout;
        _reader = Task.Run(ReadLoopAsync);
        _dispatcher = Task.Run(DispatchLoopAsync);
    }

    /// <summary>Connects, reads the greeting and negotiates capabilities. Throws EngineException QmpConnectionFailed.</summary>
    public static QmpClient Connect(string socketPath, TimeSpan timeout)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new EngineException(ErrorIds.QmpConnectionFailed, EngineErrorCategory.NotFound,
                $"Cannot connect to the QMP socket '{socketPath}': {e.Message}", e) { Target = socketPath };
        }

        var client = new QmpClient(socket, timeout);
        try
        {
            if (!Completes(client._greeting.Task, timeout))
            {
                throw client.ConnectionFailed($"no QMP greeting within {timeout.TotalSeconds} s");
            }

            if (client._greeting.Task.IsFaulted)
            {
                throw client.ConnectionFailed(client._failure ?? "connection closed");
            }

            client.Greeting = client._greeting.Task.Result;
            client.Execute("qmp_capabilities");
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Every event the server sends, raised in order on one dispatcher task.</summary>
    public event EventHandler<QmpEvent>? EventReceived;

    /// <summary>The greeting's "QMP" object (version, capabilities).</summary>
    public JsonElement Greeting { get; private set; }

    /// <summary>
    /// Runs <paramref name="command"/> and returns its "return" value. Throws <see cref="QmpErrorException"/> for an error
    /// reply and EngineException (QmpConnectionFailed, WaitTimedOut) when the connection fails or the reply is late.
    /// </summary>
    public JsonElement Execute(string command, JsonObject? arguments = null)
    {
        if (!_oneCommand.Wait(_timeout))
        {
            throw new EngineException(ErrorIds.WaitTimedOut, EngineErrorCategory.Timeout, $"QMP command '{command}' waited too long for an earlier one");
        }

        try
        {
            string id = $"exportps-{Interlocked.Increment(ref _nextId)}";
            var request = new JsonObject { ["execute"] = command, ["id"] = id };
            if (arguments is not null)
            {
                request["arguments"] = arguments;
            }

            var pending = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _pending, pending);
            if (_failure is { } failure)
            {
                throw ConnectionFailed(failure);
            }

            try
            {
                _socket.Send(JsonSerializer.SerializeToUtf8Bytes(request).Concat("\n"u8.ToArray()).ToArray());
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                throw ConnectionFailed(e.Message);
            }

            if (!Completes(pending.Task, _timeout))
            {
                throw new EngineException(ErrorIds.WaitTimedOut, EngineErrorCategory.Timeout,
                    $"QMP command '{command}' got no reply within {_timeout.TotalSeconds} s");
            }

            if (pending.Task.IsFaulted)
            {
                throw ConnectionFailed(_failure ?? "connection closed");
            }

            var reply = pending.Task.Result;
            if (reply.TryGetProperty("error", out var error))
            {
                throw new QmpErrorException(command,
                    StringOf(error, "class") ?? QmpErrorClass.GenericError,
                    StringOf(error, "desc") ?? string.Empty,
                    StringOf(error, "x-error-id"),
                    StringOf(error, "x-category"));
            }

            return reply.TryGetProperty("return", out var result) ? result : default;
        }
        finally
        {
            Volatile.Write(ref _pending, null);
            _oneCommand.Release();
        }
    }

    // Waits without throwing: a faulted task counts as completed, its caller looks at why.
    private static bool Completes(Task task, TimeSpan timeout) => ((IAsyncResult)task).AsyncWaitHandle.WaitOne(timeout);

    private static string? StringOf(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private EngineException ConnectionFailed(string why) =>
        new(ErrorIds.QmpConnectionFailed, EngineErrorCategory.IoError, $"QMP connection failed: {why}");

    private async Task ReadLoopAsync()
    {
        var framer = new QmpMessageFramer(64 * 1024 * 1024);
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int read = await _socket.ReceiveAsync(buffer, SocketFlags.None, _closing.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    Fail("the server closed the connection");
                    return;
                }

                foreach (var frame in framer.Feed(buffer.AsSpan(0, read)))
                {
                    if (frame.Message is null)
                    {
                        Fail($"unreadable message from the server: {frame.Error}");
                        return;
                    }

                    Route(QmpJson.Parse(frame.Message).RootElement);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or JsonException)
        {
            Fail(e.Message);
        }
    }

    private void Route(JsonElement message)
    {
        if (message.TryGetProperty("QMP", out var greeting))
        {
            _greeting.TrySetResult(greeting);
        }
        else if (message.TryGetProperty("event", out var name))
        {
            _events.Writer.TryWrite(new QmpEvent(name.GetString() ?? string.Empty,
                message.TryGetProperty("data", out var data) ? data : default,
                TimestampOf(message)));
        }
        else
        {
            // One command is in flight at a time, so any reply belongs to it (a reply without our id is still its answer).
            Volatile.Read(ref _pending)?.TrySetResult(message);
        }
    }

    private static DateTime TimestampOf(JsonElement message) =>
        message.TryGetProperty("timestamp", out var t)
        && t.TryGetProperty("seconds", out var s) && t.TryGetProperty("microseconds", out var us)
            ? DateTime.UnixEpoch.AddTicks((s.GetInt64() * 1_000_000 + us.GetInt64()) * 10)
            : DateTime.UtcNow;

    private void Fail(string why)
    {
        _failure ??= why;
        _greeting.TrySetException(new IOException(why));
        Volatile.Read(ref _pending)?.TrySetException(new IOException(why));
        _events.Writer.TryComplete();
    }

    private async Task DispatchLoopAsync()
    {
        await foreach (var qmpEvent in _events.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            EventReceived?.Invoke(this, qmpEvent);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _closing.Cancel();
        _socket.Dispose();
        Completes(Task.WhenAll(_reader, _dispatcher), TimeSpan.FromSeconds(5));
    }
}
