using ExportPS.Engine.Model;

namespace ExportPS.Engine;

/// <summary>
/// The netdev subsystem: netdev_add, netdev_del, set_link, announce-self, the query of every netdev, and captures
/// (QEMU's filter-dump objects: object-add, object-del).
/// </summary>
public interface INetdevs
{
    NetdevInfo AddNetdev(NetdevOptions options);

    /// <summary>netdev_del: stops the netdev and its captures; a hub forgets its port, a peer is left without one.</summary>
    void RemoveNetdev(string id);

    IReadOnlyList<NetdevInfo> GetNetdevs();

    /// <summary>set_link: <paramref name="name"/> is a netdev id (a hub port's own id included).</summary>
    void SetLink(string name, bool up);

    /// <summary>announce-self: RARP frames for the given addresses out of the given netdevs, round after round.</summary>
    void Announce(NetAnnounceOptions options);

    /// <summary>object-add filter-dump: the netdev's frames go to a pcap file from now on.</summary>
    NetCaptureInfo AddNetCapture(NetCaptureOptions options);

    /// <summary>object-del of a capture: its file is closed.</summary>
    void RemoveNetCapture(string id);

    IReadOnlyList<NetCaptureInfo> GetNetCaptures();
}
