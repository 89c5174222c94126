using ExportPS.Engine.Net;
using ExportPS.Engine.VhostUser.Net;

namespace ExportPS.Engine.Tests.VhostUserNet;

/// <summary>A wire that keeps the frames a virtio-net device transmits and the drops it reports.</summary>
internal sealed class RecordingWire : IVirtioNetWire
{
    public List<byte[]> Frames { get; } = [];

    public List<NetDropReason> Drops { get; } = [];

    public void Transmit(ReadOnlySpan<byte> frame) => Frames.Add(frame.ToArray());

    public void TransmitDropped(NetDropReason reason) => Drops.Add(reason);
}
