using ExportPS.Engine.Errors;
using ExportPS.Engine.Logging;
using ExportPS.Engine.Model;
using ExportPS.Engine.Net.Backends;
using ExportPS.Engine.Objects;
using ExportPS.Engine.Qmp.Codecs;
using ExportPS.Engine.VhostUser.Net;
using Microsoft.Extensions.Logging;

namespace ExportPS.Engine.Net;

/// <summary>
/// The in-process netdev subsystem: the netdevs by id, the hubs their ports join, and the captures (filter-dump
/// objects, kept in the engine's object registry for their ids). Control-plane calls take the engine's lock; frames never do.
/// </summary>
internal sealed class NetdevService : INetdevs, IDisposable
{
    private readonly ControlPlane _control;
    private readonly ObjectRegistry _objects;
    private readonly NetAnnouncer _announcer;
    private readonly ILogger _log;

    public NetdevService(ControlPlane control, ObjectRegistry objects)
    {
        _control = control;
        _objects = objects;
        _log = control.Loggers.CreateLogger(NetdevLog.Category);
        _announcer = new NetAnnouncer(FindOrNull);
    }

    private readonly Dictionary<string, (Netdev Netdev, NetdevOptions Options, long Order)> _netdevs = new(StringComparer.Ordinal);
    private readonly NetHubTable _hubs = new();
    private readonly HashSet<string> _opening = new(StringComparer.Ordinal); // ids whose sockets are being opened
    private long _added;

    /// <summary>
    /// Checks the options under the engine's lock, then opens a wire netdev's sockets without it (a client's connect
    /// may take a while, and other control calls go on meanwhile; its id stays reserved), then peers and starts it.
    /// </summary>
    public NetdevInfo AddNetdev(NetdevOptions options)
    {
        lock (_control.Lock)
        {
            CheckNew(options);
            if (options is HubportNetdevOptions hubport)
            {
                var port = AddHubPort(hubport);
                Register(port, options);
                return Describe(port, options);
            }

            _opening.Add(options.Id);
        }

        Netdev netdev;
        try
        {
            netdev = NetdevOpener.Open(options);
            netdev.Loggers = _control.Loggers;
        }
        catch
        {
            lock (_control.Lock)
                _opening.Remove(options.Id);
            throw;
        }

        lock (_control.Lock)
        {
            _opening.Remove(options.Id);
            try
            {
                // Checked again: the engine may have shut down, or the peer gone or been taken, while the sockets opened.
                _control.ThrowIfDisposed();
                if (options.Peer is { } peerId)
                    Netdev.Connect(netdev, FreePeer(peerId, options.Id));
            }
            catch
            {
                (netdev.Backend as IDisposable)?.Dispose();
                throw;
            }

            // Registered (and logged) before it starts, so its first far-end event follows netdev_added.
            Register(netdev, options);
            (netdev.Backend as INetWorkerBackend)?.Start();
            return Describe(netdev, options);
        }
    }

    /// <summary>The checks of a new netdev that need no socket: a free valid id, options that fit, a free peer.</summary>
    private void CheckNew(NetdevOptions options)
    {
        _control.ThrowIfDisposed();
        string id = QemuName.Require(options.Id, "id");
        if (_netdevs.ContainsKey(id) || _opening.Contains(id))
            throw new EngineException(ErrorIds.NetdevExists, EngineErrorCategory.AlreadyExists, $"Duplicate ID '{id}'") { Target = id };
        if (options.CombinationError() is { } error)
            throw new EngineException(ErrorIds.InvalidNetdevOptions, EngineErrorCategory.InvalidArgument, error) { Target = id };
        if (options is TapNetdevOptions { } tap && tap.VhostRefusal() is { } refusal)
            throw new EngineException(ErrorIds.NetdevTypeNotSupported, EngineErrorCategory.NotSupported, refusal) { Target = id };
        if (options is UserNetdevOptions { } user && user.SmbRefusal() is { } smbRefusal)
            throw new EngineException(ErrorIds.NetdevTypeNotSupported, EngineErrorCategory.NotSupported, smbRefusal) { Target = id };
        if (options is HubportNetdevOptions && options.Peer is not null)
            throw new EngineException(ErrorIds.InvalidNetdevOptions, EngineErrorCategory.InvalidArgument, $"hub port '{id}' is peered through netdev=, not x-peer") { Target = id };
        if (options.Peer is { } peerId)
            FreePeer(peerId, id);
    }

    private void Register(Netdev netdev, NetdevOptions options)
    {
        _netdevs.Add(netdev.Id, (netdev, options, _added++));
        _log.Added(netdev.Id, netdev.Type);
    }

    /// <summary>A port of the hub (made by its first port); netdev= must name a netdev that has no peer yet.</summary>
    private Netdev AddHubPort(HubportNetdevOptions options)
    {
        var peer = options.Netdev is { } peerId ? FreePeer(peerId, options.Id) : null;
        return _hubs.GetOrAdd(options.HubId).AddPort(options.Id, peer);
    }

    /// <summary>
    /// The netdev <paramref name="peerId"/> that netdev <paramref name="id"/> is to be peered with (hubport's netdev=,
    /// or x-peer): it must exist, have no peer yet and not be a hub port (a hub port is peered through its netdev=).
    /// </summary>
    private Netdev FreePeer(string peerId, string id)
    {
        var peer = _netdevs.TryGetValue(peerId, out var found)
            ? found.Netdev
            : throw new EngineException(ErrorIds.NetdevNotFound, EngineErrorCategory.NotFound, $"netdev '{peerId}' not found") { Target = peerId };
        if (peer.Peer is not null)
            throw new EngineException(ErrorIds.NetdevInUse, EngineErrorCategory.InUse, $"netdev '{peerId}' is already in use by '{peer.Peer.Id}'") { Target = peerId };
        if (peer.Backend is NetHubPort)
            throw new EngineException(ErrorIds.InvalidNetdevOptions, EngineErrorCategory.InvalidArgument, $"netdev '{id}' cannot be peered with hub port '{peerId}'") { Target = peerId };
        return peer;
    }

    public void RemoveNetdev(string id)
    {
        lock (_control.Lock)
        {
            var netdev = Find(id);
            _netdevs.Remove(id);
            RemoveCaptures(netdev);
            Close(netdev);
            _log.Removed(id);
        }
    }

    /// <summary>
    /// object-add filter-dump, with QEMU's checks in its order: maxlen, the id, the netdev, the position, then the file.
    /// </summary>
    public NetCaptureInfo AddNetCapture(NetCaptureOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxLength <= 0)
            throw InvalidCapture($"Property 'filter-dump.maxlen' doesn't take value '{options.MaxLength}'", options.Id);

        lock (_control.Lock)
        {
            _control.ThrowIfDisposed();
            return _objects.Add(options.Id, () => OpenCapture(options)).Describe();
        }
    }

    private NetCapture OpenCapture(NetCaptureOptions options)
    {
        var netdev = _netdevs.TryGetValue(options.Netdev, out var entry)
            ? entry.Netdev
            : throw InvalidCapture("Parameter 'netdev' expects a network backend id", options.Netdev);
        if (options.Position is { } position and not ("head" or "tail"))
        {
            if (!position.StartsWith("id=", StringComparison.Ordinal))
                throw InvalidCapture("Parameter 'position' expects 'head', 'tail' or 'id=<id>'", position);
            string other = position[3..];
            var neighbour = _objects.Find<NetCapture>(other) ?? throw InvalidCapture($"filter '{other}' not found", other);
            if (neighbour.Netdev != netdev)
                throw InvalidCapture($"filter '{other}' belongs to a different netdev", other);
        }

        return new NetCapture(options, netdev, NetCaptureFile.Create(options.Path), _added++);
    }

    /// <summary>object-del of a capture: it is detached and its file closed.</summary>
    public void RemoveNetCapture(string id)
    {
        lock (_control.Lock)
            _objects.Remove(_objects.Find<NetCapture>(id) ?? throw NotFoundErrors.NetCapture(id));
    }

    /// <summary>Every capture, in the order they were added.</summary>
    public IReadOnlyList<NetCaptureInfo> GetNetCaptures()
    {
        lock (_control.Lock)
            return [.. _objects.All<NetCapture>().OrderBy(capture => capture.Order).Select(capture => capture.Describe())];
    }

    /// <summary>A removed netdev takes its captures with it, as QEMU deletes a netdev's filters.</summary>
    private void RemoveCaptures(Netdev netdev)
    {
        foreach (var capture in _objects.All<NetCapture>().Where(capture => capture.Netdev == netdev).ToArray())
            _objects.Remove(capture);
    }

    private static EngineException InvalidCapture(string message, string target) =>
        new(ErrorIds.InvalidNetCaptureOptions, EngineErrorCategory.InvalidArgument, message) { Target = target };

    /// <summary>Every netdev, in the order they were added.</summary>
    public IReadOnlyList<NetdevInfo> GetNetdevs()
    {
        lock (_control.Lock)
            return [.. _netdevs.Values.OrderBy(entry => entry.Order).Select(entry => Describe(entry.Netdev, entry.Options))];
    }

    public void SetLink(string name, bool up)
    {
        lock (_control.Lock)
        {
            Find(name).SetLink(up);
            _log.LinkChanged(name, up ? "up" : "down");
        }
    }

    public void Announce(NetAnnounceOptions options)
    {
        lock (_control.Lock)
        {
            foreach (string id in options.Interfaces)
                Find(id);

            // No interfaces: every netdev there is now, as QEMU's announce goes out of every NIC.
            _announcer.Start(options.Interfaces.Count > 0 ? options : options with { Interfaces = [.. _netdevs.Keys] });
        }
    }

    /// <summary>Stops every announcement and every netdev (engine shutdown).</summary>
    public void Dispose()
    {
        _announcer.Dispose();
        lock (_control.Lock)
        {
            foreach (var (netdev, _, _) in _netdevs.Values)
            {
                RemoveCaptures(netdev);
                Close(netdev);
            }

            _netdevs.Clear();
        }
    }

    private Netdev? FindOrNull(string id)
    {
        lock (_control.Lock)
            return _netdevs.TryGetValue(id, out var entry) ? entry.Netdev : null;
    }

    private Netdev Find(string name) =>
        _netdevs.TryGetValue(name, out var entry) ? entry.Netdev : throw NotFoundErrors.Netdev(name);

    /// <summary>A hub forgets its port; any other netdev is unpeered and its sockets and threads stopped.</summary>
    private static void Close(Netdev netdev)
    {
        if (NetHubTable.HubOf(netdev) is { } hub)
        {
            hub.RemovePort(netdev);
            return;
        }

        netdev.Disconnect();
        (netdev.Backend as IDisposable)?.Dispose();
    }

    private static NetdevInfo Describe(Netdev netdev, NetdevOptions options)
    {
        var counters = netdev.GetCounters();
        return new NetdevInfo
        {
            Id = netdev.Id,
            Type = netdev.Type,
            Options = options.Summary(),
            Arguments = NetdevCodec.WriteAdd(options).ToJsonString(),
            Hub = NetHubTable.HubOf(netdev)?.Id,
            Peer = counters.Peer,
            LinkUp = counters.LinkUp,
            Connected = (netdev.Backend as INetWorkerBackend)?.Connected ?? true,
            Failure = (netdev.Backend as INetWorkerBackend)?.Failure,
            VirtqueueCompletions = (netdev.Backend as INetWorkerBackend)?.VirtqueueCompletions is { } completions
                ? VirtioNetQueueNames.Format(completions)
                : null,
            ReceivedFrames = counters.ReceivedFrames,
            ReceivedBytes = counters.ReceivedBytes,
            ReceivedDropped = counters.ReceivedDropped,
            ReceivedDroppedLinkDown = counters.ReceivedDroppedLinkDown,
            ReceivedDroppedNoPeer = counters.ReceivedDroppedNoPeer,
            ReceivedDroppedOversize = counters.ReceivedDroppedOversize,
            ReceivedDroppedMalformed = counters.ReceivedDroppedMalformed,
            ReceivedDroppedQueueFull = counters.ReceivedDroppedQueueFull,
            SentFrames = counters.SentFrames,
            SentBytes = counters.SentBytes,
            SentDropped = counters.SentDropped,
            SentDroppedLinkDown = counters.SentDroppedLinkDown,
            SentDroppedNoPeer = counters.SentDroppedNoPeer,
            SentDroppedOversize = counters.SentDroppedOversize,
            SentDroppedMalformed = counters.SentDroppedMalformed,
            SentDroppedQueueFull = counters.SentDroppedQueueFull,
        };
    }
}
