using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Logging;
using ExportPS.Engine.Qapi;
using ExportPS.Engine.Transport;
using Microsoft.Extensions.Logging;

namespace ExportPS.Engine.Qmp;

/// <summary>
/// One monitor connection: greeting, capabilities negotiation, then commands answered in order. Replies and events
/// leave through a bounded queue drained by a writer task, so the engine never waits for a client; a client that stops
/// reading until the queue is full is disconnected.
/// </summary>
internal sealed class QmpSession : IDisposable
{
    private const int OutputQueueLimit = 1024;
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };
    private static readonly byte[] LineEnd = "\r\n"u8.ToArray();

    private readonly StreamTransport _transport;
    private readonly QmpServer _server;
    private readonly QmpMessageFramer _framer;
    private readonly Channel<Outgoing> _output = Channel.CreateBounded<Outgoing>(new BoundedChannelOptions(OutputQueueLimit)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly CancellationTokenSource _closed = new();
    private volatile bool _negotiated;

    public QmpSession(StreamTransport transport, QmpServer server)
    {
        _transport = transport;
        _server = server;
        _framer = new QmpMessageFramer(server.MaxMessageBytes);
    }

    /// <summary>True after qmp_capabilities: only then does the session receive events.</summary>
    public bool Negotiated => _negotiated;

    public async Task RunAsync(CancellationToken serverStopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(serverStopping, _closed.Token);
        var writer = WriteLoopAsync(linked.Token);
        _server.Log.ClientConnected(_server.SocketPath);
        try
        {
            Send(_server.Greeting);
            var buffer = new byte[64 * 1024];
            while (!linked.IsCancellationRequested)
            {
                int read = await _transport.ReceiveAsync(buffer, linked.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                foreach (var frame in _framer.Feed(buffer.AsSpan(0, read)))
                {
                    await HandleAsync(frame).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The client went away or the server is stopping: nothing to answer.
        }
        finally
        {
            _output.Writer.TryComplete();
            await writer.ConfigureAwait(false);
            Dispose();
            _server.Log.ClientDisconnected(_server.SocketPath);
        }
    }

    /// <summary>Queues an event; drops the connection if the client is not keeping up.</summary>
    public void SendEvent(byte[] message) => Send(message);

    private async Task HandleAsync(QmpFrame frame)
    {
        if (frame.Error is not null)
        {
            Send(ErrorReply(false, null, QmpErrorClass.GenericError, frame.Error));
            return;
        }

        JsonDocument document;
        try
        {
            document = QmpJson.Parse(frame.Message);
        }
        catch (JsonException e)
        {
            Send(ErrorReply(false, null, QmpErrorClass.GenericError, $"JSON parse error, {e.Message}"));
            return;
        }

        using (document)
        {
            var root = document.RootElement;
            JsonElement idElement = default;
            bool hasId = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("id", out idElement);

            // The id is echoed as given, whatever JSON it is (null included).
            JsonNode? id = hasId ? JsonNode.Parse(idElement.GetRawText()) : null;
            var command = new LoggedCommand(_server.Log, root, hasId ? idElement : null);
            try
            {
                var result = Dispatch(root, out bool quit);
                var flushed = SendTracked(SuccessReply(hasId, id, result));
                if (quit)
                {
                    _server.Log.Quit();
                    await flushed.ConfigureAwait(false);
                    _server.OnQuitRequested();
                }
            }
            catch (QmpException e)
            {
                command.Failed(e.ErrorClass, e.Message);
                Send(ErrorReply(hasId, id, e.ErrorClass, e.Message));
            }
            catch (EngineException e)
            {
                command.Failed(QmpErrorMapping.ClassOf(e), e.Message);
                Send(ErrorReply(hasId, id, QmpErrorMapping.ClassOf(e), e.Message, e));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Whatever else fails inside a command is still an answer to that command, never the end of the monitor.
                command.Failed(QmpErrorClass.GenericError, e.Message);
                Send(ErrorReply(hasId, id, QmpErrorClass.GenericError, e.Message));
            }
        }
    }

    private JsonNode Dispatch(JsonElement root, out bool quit)
    {
        quit = false;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw QmpException.Generic("QMP input must be a JSON object");
        }

        QmpJson.ThrowOnDuplicateKeys(root);
        foreach (var member in root.EnumerateObject())
        {
            if (member.Name is not ("execute" or "arguments" or "id"))
            {
                throw QmpException.Generic($"QMP input member '{member.Name}' is unexpected");
            }
        }

        if (!root.TryGetProperty("execute", out var execute))
        {
            throw QmpException.Generic("QMP input lacks member 'execute'");
        }

        if (execute.ValueKind != JsonValueKind.String)
        {
            throw QmpException.Generic("QMP input member 'execute' must be a string");
        }

        JsonElement? arguments = null;
        if (root.TryGetProperty("arguments", out var argumentsElement))
        {
            if (argumentsElement.ValueKind != JsonValueKind.Object)
            {
                throw QmpException.Generic("QMP input member 'arguments' must be an object");
            }

            arguments = argumentsElement;
        }

        string command = execute.GetString()!;
        var args = new OptionReader(arguments is { } given ? OptionTree.FromJson(given) : OptionTree.Empty);
        if (!_negotiated)
        {
            if (command != "qmp_capabilities")
            {
                throw new QmpException(QmpErrorClass.CommandNotFound, "Expecting capabilities negotiation with 'qmp_capabilities'");
            }

            Negotiate(args);
            return new JsonObject();
        }

        switch (command)
        {
            case "qmp_capabilities":
                throw new QmpException(QmpErrorClass.CommandNotFound, "Capabilities negotiation is already complete, command ignored");
            case "query-commands":
                args.RejectUnexpected();
                return new JsonArray(_server.CommandNames.Select(n => (JsonNode)new JsonObject { ["name"] = n }).ToArray());
            case "quit":
                args.RejectUnexpected();
                quit = true;
                return new JsonObject();
        }

        if (!_server.Commands.TryGet(command, out var handler))
        {
            throw new QmpException(QmpErrorClass.CommandNotFound, $"The command {command} has not been found");
        }

        return handler(args);
    }

    // ExportPS offers no optional capabilities (QEMU's only one is out-of-band execution).
    private void Negotiate(OptionReader args)
    {
        var enable = args.List("enable", "string", capability => capability, fromObject: null);
        args.RejectUnexpected();
        if (enable?.FirstOrDefault() is { } capability)
        {
            throw capability == "oob"
                ? QmpException.Generic("Capability 'oob' not available")
                : QmpException.Generic($"Parameter 'enable' does not accept value '{capability}'");
        }

        _negotiated = true;
    }

    private static byte[] SuccessReply(bool hasId, JsonNode? id, JsonNode result)
    {
        var reply = new JsonObject { ["return"] = result };
        if (hasId)
        {
            reply["id"] = id;
        }

        return Serialize(reply);
    }

    private static byte[] ErrorReply(bool hasId, JsonNode? id, string errorClass, string desc, EngineException? engineError = null)
    {
        var error = new JsonObject { ["class"] = errorClass, ["desc"] = desc };
        if (engineError is not null)
        {
            // Lets an ExportPS client rebuild the exact engine error; QEMU clients ignore unknown members.
            error["x-error-id"] = engineError.ErrorId;
            error["x-category"] = engineError.Category.ToString();
        }

        var reply = new JsonObject { ["error"] = error };
        if (hasId)
        {
            reply["id"] = id;
        }

        return Serialize(reply);
    }

    public static byte[] Serialize(JsonNode message)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(message, Compact);
        var line = new byte[bytes.Length + LineEnd.Length];
        bytes.CopyTo(line, 0);
        LineEnd.CopyTo(line, bytes.Length);
        return line;
    }

    private void Send(byte[] message) => _ = SendTracked(message);

    /// <summary>Queues a message; the task completes once it has been written (or dropped with the connection).</summary>
    private Task SendTracked(byte[] message)
    {
        var outgoing = new Outgoing(message);
        if (!_output.Writer.TryWrite(outgoing))
        {
            // Queue full (the client stopped reading) or already closing.
            _closed.Cancel();
            outgoing.Flushed.TrySetResult();
        }

        return outgoing.Flushed.Task;
    }

    private async Task WriteLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var outgoing in _output.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await _transport.SendAsync(outgoing.Data, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    outgoing.Flushed.TrySetResult();
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            _closed.Cancel();
        }
        finally
        {
            while (_output.Reader.TryRead(out var left))
            {
                left.Flushed.TrySetResult();
            }
        }
    }

    public void Dispose()
    {
        _output.Writer.TryComplete();
        try
        {
            _closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        _transport.Dispose();
    }

    /// <summary>
    /// A command as its events name it: "execute" (when it is a string) and the id as sent, never the arguments. The
    /// strings are made only for an event that is logged.
    /// </summary>
    private readonly struct LoggedCommand
    {
        private readonly ILogger _log;
        private readonly JsonElement _root;
        private readonly JsonElement? _id;

        public LoggedCommand(ILogger log, JsonElement root, JsonElement? id)
        {
            _log = log;
            _root = root;
            _id = id;
            if (log.IsEnabled(LogLevel.Debug))
            {
                log.Command(Name, Id);
            }
        }

        private string Name => _root.ValueKind == JsonValueKind.Object && _root.TryGetProperty("execute", out var execute) && execute.ValueKind == JsonValueKind.String
            ? execute.GetString()!
            : "(none)";

        private string Id => _id?.GetRawText() ?? "none";

        public void Failed(string errorClass, string description)
        {
            if (_log.IsEnabled(LogLevel.Information))
            {
                _log.CommandError(Name, Id, errorClass, description);
            }
        }
    }

    private sealed class Outgoing(byte[] data)
    {
        public byte[] Data { get; } = data;

        public TaskCompletionSource Flushed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
