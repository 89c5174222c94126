using System.Net;
using System.Net.Sockets;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Logging;
using ExportPS.Engine.Model;
using ExportPS.Engine.Tls;
using ExportPS.Engine.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.ObjectPool;

namespace ExportPS.Engine.Exports.Nbd;

/// <summary>
/// The engine's NBD server: the listener, the connections and the table of export names.
/// With max-connections, the listener stops accepting while the limit is reached (as QEMU does): further clients wait
/// in the backlog until a connection closes.
/// </summary>
internal sealed class NbdServer(NbdServerOptions options) : IDisposable
{
    private readonly object _lock = new();
    private readonly Dictionary<string, NbdExport> _exports = new(StringComparer.Ordinal);
    private readonly HashSet<NbdConnection> _connections = [];
    private readonly SemaphoreSlim? _slots = options.MaxConnections > 0 ? new SemaphoreSlim((int)Math.Min(options.MaxConnections, int.MaxValue)) : null;
    private readonly CancellationTokenSource _stopping = new();
    private SocketListener? _listener;
    private int _port;
    private int _connectionCount;
    private readonly NbdClientErrorHistory _recentClientErrors = new();

    public NbdServerOptions Options { get; } = options;

    /// <summary>Set when the server has tls-creds: clients must upgrade with NBD_OPT_STARTTLS before anything else.</summary>
    public TlsServer? Tls { get; init; }

    /// <summary>The server's and its connections' events (<see cref="NbdServerLog"/>).</summary>
    public ILogger Log { get; init; } = NullLogger.Instance;

    /// <summary>Request objects of every connection of this server.</summary>
    internal ObjectPool<NbdRequest> Requests { get; } = new DefaultObjectPool<NbdRequest>(new NbdRequest.Policy(), 4096);

    /// <summary>One client is connected: its connection may poll for requests without keeping others waiting.</summary>
    internal bool HasOneClient => Volatile.Read(ref _connectionCount) == 1;

    /// <summary>Multi-conn is promised only when more than one connection may exist.</summary>
    public bool AllowsMultipleConnections => Options.MaxConnections != 1;

    public void Start()
    {
        var address = Options.Address;
        if (address.Kind == SocketAddressKind.Inet && (address.Port < 0 || address.Port > IPEndPoint.MaxPort))
        {
            throw new EngineException(ErrorIds.InvalidArgument, EngineErrorCategory.InvalidArgument,
                $"Port number {address.Port} is out of range: it must be 0 to {IPEndPoint.MaxPort}") { Target = "port" };
        }

        if (address.Kind == SocketAddressKind.Unix && string.IsNullOrEmpty(address.Path))
        {
            throw new EngineException(ErrorIds.InvalidArgument, EngineErrorCategory.InvalidArgument, "Parameter 'path' is missing for a unix socket address");
        }

        try
        {
            _listener = SocketListener.Bind(address);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            throw new EngineException(ErrorIds.NbdServerListenFailed, EngineErrorCategory.InvalidState,
                $"Failed to bind socket {address}: {e.Message}", e) { Target = address.ToString() };
        }

        _port = _listener.Port;
        _ = Task.Run(AcceptLoopAsync);
    }

    private async Task AcceptLoopAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            Socket client;
            try
            {
                if (_slots is not null)
                {
                    if (_slots.CurrentCount == 0)
                    {
                        Log.MaxConnectionsReached(Options.MaxConnections);
                    }

                    await _slots.WaitAsync(token).ConfigureAwait(false);
                }

                client = await _listener!.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                // Stopped (or the listener failed for good): no more clients.
                return;
            }

            string peer = SocketPeerName.Of(client);
            Log.ClientAccepted(peer);
            var connection = new NbdConnection(this, new SocketTransport(client), peer);
            lock (_lock)
            {
                _connections.Add(connection);
                _connectionCount = _connections.Count;
            }

            _ = Task.Run(connection.RunAsync);
        }
    }

    internal void OnConnectionClosed(NbdConnection connection)
    {
        lock (_lock)
        {
            if (!_connections.Remove(connection))
            {
                return;
            }

            _connectionCount = _connections.Count;
        }

        _slots?.Release();
    }

    /// <summary>Told of every client error as it happens (the host prints them, as QEMU does); runs on the connection's thread.</summary>
    public Action<NbdClientError>? ClientFailed { get; init; }

    internal void OnClientError(NbdConnection connection, string message)
    {
        var error = new NbdClientError { Time = DateTime.UtcNow, Client = connection.Client, Message = message };
        _recentClientErrors.Add(error);
        Log.ClientError(connection.Client, message);
        ClientFailed?.Invoke(error);
    }

    // ---- export names ------------------------------------------------------------------------------------------

    internal void AddExport(NbdExport export)
    {
        lock (_lock)
        {
            if (!_exports.TryAdd(export.Name, export))
            {
                throw new EngineException(ErrorIds.ExportNameExists, EngineErrorCategory.AlreadyExists,
                    $"NBD server already has export named '{export.Name}'") { Target = export.Name };
            }
        }

        Log.ExportNameAdded(export.Name);
    }

    internal void RemoveExport(NbdExport export)
    {
        lock (_lock)
        {
            if (_exports.TryGetValue(export.Name, out var current) && current == export)
            {
                _exports.Remove(export.Name);
                Log.ExportNameRemoved(export.Name);
            }
        }
    }

    /// <summary>The export a client names. The empty name selects the only export when there is exactly one.</summary>
    internal NbdExport? FindExport(string name)
    {
        lock (_lock)
        {
            if (_exports.TryGetValue(name, out var export))
            {
                return export;
            }

            return name.Length == 0 && _exports.Count == 1 ? _exports.Values.First() : null;
        }
    }

    internal NbdExport[] ListExports()
    {
        lock (_lock)
        {
            return [.. _exports.Values.OrderBy(e => e.Name, StringComparer.Ordinal)];
        }
    }

    /// <summary>Where the server listens, with the port actually bound.</summary>
    public string Endpoint => Options.Address.Kind == SocketAddressKind.Inet ? (Options.Address with { Port = _port }).ToString() : Options.Address.ToString();

    public NbdServerInfo ToInfo(int exports)
    {
        int connections;
        lock (_lock)
        {
            connections = _connections.Count;
        }

        var (clientErrors, recentClientErrors) = _recentClientErrors.Snapshot();

        return new NbdServerInfo
        {
            Running = true,
            Endpoint = Endpoint,
            Port = _port,
            MaxConnections = Options.MaxConnections,
            TlsCreds = Options.TlsCreds,
            TlsAuthz = Options.TlsAuthz,
            Connections = connections,
            Exports = exports,
            ClientErrors = clientErrors,
            LastClientError = recentClientErrors.LastOrDefault()?.ToString(),
            RecentClientErrors = recentClientErrors,
        };
    }

    public void StopListening()
    {
        _stopping.Cancel();
        _listener?.Dispose();
    }

    /// <summary>The connections open now, negotiating or attached.</summary>
    internal NbdConnection[] Connections()
    {
        lock (_lock)
        {
            return [.. _connections];
        }
    }

    /// <summary>Stops listening and drops the connections still negotiating (exports drop their own clients).</summary>
    public void Dispose()
    {
        StopListening();
        foreach (var connection in Connections())
        {
            connection.Abort();
        }
    }
}
