using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Reflection;
using System.Text.Json.Nodes;
using ExportPS.Engine.Logging;
using ExportPS.Engine.Model;
using ExportPS.Engine.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ExportPS.Engine.Qmp;

/// <summary>
/// A QMP monitor on a unix socket, serving an engine to any number of independent clients at once (QEMU's
/// --chardev socket,server=on + --monitor). Each connection runs on its own task; BLOCK_EXPORT_DELETED goes to every
/// client that has negotiated capabilities.
/// </summary>
public sealed class QmpServer : IDisposable
{
    /// <summary>The largest single QMP message accepted; longer ones are answered with an error and skipped.</summary>
    public const int DefaultMaxMessageBytes = 1024 * 1024;

    /// <summary>How long nbd-server-stop lets NBD clients finish before it drops them.</summary>
    public static readonly TimeSpan DefaultNbdStopGracePeriod = TimeSpan.FromSeconds(5);

    private readonly IExportEngine _engine;
    private readonly SocketListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<QmpSession, Task> _sessions = new();
    private readonly Task _acceptLoop;
    private int _disposed;

    private QmpServer(IExportEngine engine, string path, int maxMessageBytes, TimeSpan nbdStopGracePeriod, ILoggerFactory loggers)
    {
        _engine = engine;
        Log = loggers.CreateLogger(QmpLog.Category);
        SocketPath = path;
        MaxMessageBytes = maxMessageBytes;
        Commands = new QmpCommands(engine, nbdStopGracePeriod);
        CommandNames = [.. Commands.Names, "qmp_capabilities", "query-commands", "quit"];
        Greeting = QmpSession.Serialize(new JsonObject
        {
            ["QMP"] = new JsonObject
            {
                // The QEMU release whose QMP schema the commands follow; package names the real server.
                ["version"] = new JsonObject
                {
                    ["qemu"] = new JsonObject { ["micro"] = 0, ["minor"] = 2, ["major"] = 7 },
                    ["package"] = $"ExportPS {typeof(QmpServer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion}",
                },
                ["capabilities"] = new JsonArray(),
            },
        });

        // One rule for every unix listener: a stale socket from an earlier run is replaced, a live one or another file refused.
        _listener = SocketListener.BindUnix(path, backlog: 16);

        _engine.ExportDeleted += OnExportDeleted;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>
    /// Starts serving <paramref name="engine"/> on the unix socket <paramref name="path"/>. A path that holds a live
    /// socket or a file that is not a socket, or that cannot be bound, is refused with an <see cref="IOException"/>.
    /// </summary>
    public static QmpServer Start(IExportEngine engine, string path, int maxMessageBytes = DefaultMaxMessageBytes, TimeSpan? nbdStopGracePeriod = null,
        ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new QmpServer(engine, path, maxMessageBytes, nbdStopGracePeriod ?? DefaultNbdStopGracePeriod, loggerFactory ?? NullLoggerFactory.Instance);
    }

    /// <summary>A client executed quit; its reply has been sent. The host should shut down.</summary>
    public event EventHandler? QuitRequested;

    public string SocketPath { get; }

    public int MaxMessageBytes { get; }

    public int ConnectionCount => _sessions.Count;

    internal QmpCommands Commands { get; }

    internal IReadOnlyList<string> CommandNames { get; }

    internal byte[] Greeting { get; }

    /// <summary>The monitor's events (<see cref="QmpLog"/>): clients, commands, errors answered.</summary>
    internal ILogger Log { get; }

    // Raised off the session's task, so a handler may dispose this server (which waits for its sessions).
    internal void OnQuitRequested() => ThreadPool.QueueUserWorkItem(_ => QuitRequested?.Invoke(this, EventArgs.Empty));

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            var session = new QmpSession(new SocketTransport(client), this);
            _sessions[session] = Task.Run(async () =>
            {
                try
                {
                    await session.RunAsync(_stopping.Token).ConfigureAwait(false);
                }
                finally
                {
                    _sessions.TryRemove(session, out _);
                }
            });
        }
    }

    private void OnExportDeleted(object? sender, BlockExportDeletedEventArgs e)
    {
        var timestamp = e.TimestampUtc - DateTime.UnixEpoch;
        long microseconds = timestamp.Ticks / 10;
        var message = QmpSession.Serialize(new JsonObject
        {
            ["timestamp"] = new JsonObject { ["seconds"] = microseconds / 1_000_000, ["microseconds"] = microseconds % 1_000_000 },
            ["event"] = "BLOCK_EXPORT_DELETED",
            ["data"] = new JsonObject { ["id"] = e.Id },
        });
        foreach (var session in _sessions.Keys)
        {
            if (session.Negotiated)
            {
                session.SendEvent(message);
            }
        }
    }

    /// <summary>Stops accepting, closes every connection and removes the socket file. The engine is left as it is.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _engine.ExportDeleted -= OnExportDeleted;
        _stopping.Cancel();
        _listener.Dispose();
        foreach (var session in _sessions.Keys)
        {
            session.Dispose();
        }

        // Waits without throwing: sessions end on their own errors, which are theirs to report.
        ((IAsyncResult)Task.WhenAll([_acceptLoop, .. _sessions.Values])).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(5));

        _stopping.Dispose();
    }
}
