namespace ExportPS.Engine.Net;

/// <summary>The hubs by id: a hubport names a hub id, and the first port of an id makes the hub (as QEMU's).</summary>
public sealed class NetHubTable
{
    private readonly Dictionary<int, NetHub> _hubs = [];

    public NetHub GetOrAdd(int hubId)
    {
        lock (_hubs)
        {
            if (!_hubs.TryGetValue(hubId, out var hub))
                _hubs.Add(hubId, hub = new NetHub(hubId));
            return hub;
        }
    }

    /// <summary>The hub a hubport netdev belongs to, or null when it is not a hub port.</summary>
    public static NetHub? HubOf(Netdev netdev) => (netdev.Backend as NetHubPort)?.Hub;

    public IReadOnlyList<NetHub> Hubs
    {
        get
        {
            lock (_hubs)
                return [.. _hubs.Values.OrderBy(hub => hub.Id)];
        }
    }
}
