using System.Buffers.Binary;

namespace ExportPS.Engine.VhostUser.Net;

/// <summary>
/// The virtio-net config space (struct virtio_net_config, virtio 1.x 5.1.4): mac[6], status, max_virtqueue_pairs, mtu,
/// little-endian.
/// </summary>
public static class VirtioNetConfig
{
    public const int MacOffset = 0;
    public const int StatusOffset = 6;
    public const int MaxQueuePairsOffset = 8;
    public const int Length = 10;

    /// <summary>VIRTIO_NET_S_LINK_UP.</summary>
    public const ushort LinkUp = 1;

    public static byte[] Build(VirtioNetOptions options, bool linkUp)
    {
        var config = new byte[Length];
        options.Mac.WriteTo(config.AsSpan(MacOffset));
        BinaryPrimitives.WriteUInt16LittleEndian(config.AsSpan(StatusOffset), linkUp ? LinkUp : (ushort)0);
        BinaryPrimitives.WriteUInt16LittleEndian(config.AsSpan(MaxQueuePairsOffset), (ushort)options.QueuePairs);
        return config;
    }
}
