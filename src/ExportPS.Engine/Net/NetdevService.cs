using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Net.Backends;

namespace ExportPS.Engine.Net;

/// <summary>
/// The in-process netdev subsystem: the netdevs by id and the hubs their ports join. Control-plane calls take the
/// engine's lock; frames never do.
/// </summary>
internal sealed class NetdevService : INetdevs, IDisposable
{
    private readonly ControlPlane _control;
    private readonly NetAnnouncer _announcer;

    public NetdevService(ControlPlane control)
    {
        _control = control;
        _announcer = new NetAnnouncer(FindOrNull);
    }

    private readonly Dictionary<string, (Netdev Netdev, NetdevOptions Options, long Order)> _netdevs = new(StringComparer.Ordinal);
    private readonly NetHubTable _hubs = new();
    private long _added;

    public NetdevInfo AddNetdev(NetdevOptions options)
    {
        lock (_control.Lock)
        {
            _control.ThrowIfDisposed();
            string id = QemuName.Require(options.Id, "id");
            if (_netdevs.ContainsKey(id))
                throw new EngineException(ErrorIds.NetdevExists, EngineErrorCategory.AlreadyExists, $"Duplicate ID '{id}'") { Target = id };
            if (options.CombinationError() is { } error)
                throw new EngineException(ErrorIds.InvalidNetdevOptions, EngineErrorCategory.InvalidArgument, error) { Target = id };
            if (options is TapNetdevOptions { } tap && tap.VhostRefusal() is { } refusal)
                throw new EngineException(ErrorIds.NetdevTypeNotSupported, EngineErrorCategory.NotSupported, refusal) { Target = id };

            var netdev = options is HubportNetdevOptions hubport ? AddHubPort(hubport) : NetdevOpener.Open(options);
            _netdevs.Add(id, (netdev, options, _added++));
            (netdev.Backend as INetWorkerBackend)?.Start();
            return Describe(netdev, options);
        }
    }

    /// <summary>A port of the hub (made by its first port); netdev= must name a netdev that has no peer yet.</summary>
    private Netdev AddHubPort(HubportNetdevOptions options)
    {
        Netdev? peer = null;
        if (options.Netdev is { } peerId)
        {
            peer = _netdevs.TryGetValue(peerId, out var found)
                ? found.Netdev
                : throw new EngineException(ErrorIds.NetdevNotFound, EngineErrorCategory.NotFound, $"netdev '{peerId}' not found") { Target = peerId };
            if (peer.Peer is not null)
                throw new EngineException(ErrorIds.NetdevInUse, EngineErrorCategory.InUse, $"netdev '{peerId}' is already in use by '{peer.Peer.Id}'") { Target = peerId };
            if (peer.Backend is NetHubPort)
                throw new EngineException(ErrorIds.InvalidNetdevOptions, EngineErrorCategory.InvalidArgument, $"hub port '{options.Id}' cannot be peered with hub port '{peerId}'") { Target = peerId };
        }

        return _hubs.GetOrAdd(options.HubId).AddPort(options.Id, peer);
    }

    public void RemoveNetdev(string id)
    {
        lock (_control.Lock)
        {
            var netdev = Find(id);
            _netdevs.Remove(id);
            Close(netdev);
        }
    }

    /// <summary>Every netdev, in the order they were added.</summary>
    public IReadOnlyList<NetdevInfo> GetNetdevs()
    {
        lock (_control.Lock)
            return [.. _netdevs.Values.OrderBy(entry => entry.Order).Select(entry => Describe(entry.Netdev, entry.Options))];
    }

    public void SetLink(string name, bool up)
    {
        lock (_control.Lock)
            Find(name).SetLink(up);
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
                Close(netdev);
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
            Hub = NetHubTable.HubOf(netdev)?.Id,
            Peer = counters.Peer,
            LinkUp = counters.LinkUp,
            Connected = (netdev.Backend as INetWorkerBackend)?.Connected ?? true,
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
