namespace ExportPS.Engine.VhostUser.Net;

/// <summary>virtio-net feature bits (virtio 1.x, 5.1.3) the device model offers or reads.</summary>
public static class VirtioNetFeatures
{
    /// <summary>The device finishes checksums the driver leaves partial (VIRTIO_NET_HDR_F_NEEDS_CSUM).</summary>
    public const ulong Csum = 1UL << 0;

    /// <summary>The config space holds the device's MAC address.</summary>
    public const ulong Mac = 1UL << 5;

    /// <summary>The driver can merge receive buffers: a frame may span several, counted in the header's num_buffers.</summary>
    public const ulong MrgRxbuf = 1UL << 15;

    /// <summary>The config space holds the link status.</summary>
    public const ulong Status = 1UL << 16;

    /// <summary>
    /// The driver can announce itself (gratuitous ARP) when the device asks; the front-end does the asking, the
    /// back-end only offers the bit (without it QEMU sends SEND_RARP after a migration instead).
    /// </summary>
    public const ulong GuestAnnounce = 1UL << 21;

    /// <summary>More than one receive/transmit queue pair.</summary>
    public const ulong Mq = 1UL << 22;
}
