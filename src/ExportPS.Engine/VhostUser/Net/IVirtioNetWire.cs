using ExportPS.Engine.Net;

namespace ExportPS.Engine.VhostUser.Net;

/// <summary>Where a virtio-net device model sends the frames the guest transmits.</summary>
public interface IVirtioNetWire
{
    /// <summary>A frame the guest transmitted, without its virtio-net header; valid only during the call.</summary>
    void Transmit(ReadOnlySpan<byte> frame);

    /// <summary>A transmit request that held no frame the wire could take.</summary>
    void TransmitDropped(NetDropReason reason);
}
