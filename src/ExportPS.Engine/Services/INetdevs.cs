using ExportPS.Engine.Model;

namespace ExportPS.Engine;

/// <summary>The netdev subsystem: netdev_add, netdev_del, set_link and the query of every netdev.</summary>
public interface INetdevs
{
    NetdevInfo AddNetdev(NetdevOptions options);

    /// <summary>netdev_del: stops the netdev; a hub forgets its port, a peer is left without one.</summary>
    void RemoveNetdev(string id);

    IReadOnlyList<NetdevInfo> GetNetdevs();

    /// <summary>set_link: <paramref name="name"/> is a netdev id (a hub port's own id included).</summary>
    void SetLink(string name, bool up);

    /// <summary>announce-self: RARP frames for the given addresses out of the given netdevs, round after round.</summary>
    void Announce(NetAnnounceOptions options);
}
