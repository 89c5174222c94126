namespace ExportPS.Engine.Net;

/// <summary>
/// A capture attached to a netdev (QEMU's filter-dump object): the frames of one or both directions go to a pcap
/// writer. Each tap is its own object (compared by reference), so the same file setup can be attached twice.
/// </summary>
public sealed class NetCaptureTap(string id, PcapWriter writer, NetCaptureDirection direction)
{
    public string Id { get; } = id;

    public PcapWriter Writer { get; } = writer;

    public NetCaptureDirection Direction { get; } = direction;

    internal bool Sees(NetCaptureDirection seen) => Direction == NetCaptureDirection.All || Direction == seen;
}
