using ExportPS.Engine.Net;

namespace ExportPS.Engine.VhostUser;

/// <summary>What the vhost-user back-end needs from the virtio device behind it (virtio-blk, virtio-net).</summary>
public interface IVhostUserDevice
{
    /// <summary>The virtio feature bits the device offers, ring features included.</summary>
    ulong Features { get; }

    /// <summary>The queues the device has (GET_QUEUE_NUM).</summary>
    int NumQueues { get; }

    /// <summary>A window of the config space; null when it is outside the config space.</summary>
    byte[]? ReadConfig(uint offset, int length);

    /// <summary>Protocol features the back-end implements but this device does not offer.</summary>
    VhostUserProtocolFeatures WithheldProtocolFeatures => VhostUserProtocolFeatures.None;

    /// <summary>Protocol features only this kind of device implements, offered beside the back-end's (virtio-net's RARP).</summary>
    VhostUserProtocolFeatures DeviceProtocolFeatures => VhostUserProtocolFeatures.None;

    /// <summary>
    /// SEND_RARP (after a migration, when the guest cannot announce itself): the device sends a RARP announcement for
    /// <paramref name="mac"/> as if the guest had. Null when done, otherwise why not.
    /// </summary>
    string? SendRarp(MacAddress mac) => "SEND_RARP is not supported by this device";

    /// <summary>The front-end set the features the driver accepted (SET_FEATURES); a device whose layout depends on them keeps them.</summary>
    void FeaturesNegotiated(ulong features)
    {
    }

    /// <summary>Serves what is available on <paramref name="queue"/> (after a kick); one caller per queue at a time.</summary>
    void ProcessQueue(SplitVirtqueue queue);
}
