using System.Buffers;
using ExportPS.Engine.Net;

namespace ExportPS.Engine.VhostUser.Net;

/// <summary>
/// The virtio-net device model behind a vhost-user back-end (virtio 1.x, 5.1): queue pairs (2n receives, 2n+1
/// transmits), feature bits, config space, the header layout the negotiated features set, and the transmit path: each
/// chain on a transmit queue is one frame after its header, handed to the <see cref="IVirtioNetWire"/> with any checksum
/// the driver left to the device (VIRTIO_NET_F_CSUM) finished, since the wire carries plain frames. Frames bound for
/// the guest go through a <see cref="VirtioNetReceiver"/> on a receive queue. Nothing the guest posts throws here: a bad
/// chain is completed and counted as a drop.
/// </summary>
public sealed class VirtioNetDevice : IVhostUserDevice
{
    private readonly IVirtioNetWire _wire;
    private ulong _negotiated;

    public VirtioNetDevice(VirtioNetOptions options, IVirtioNetWire wire)
    {
        if (options.QueuePairs < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.QueuePairs, "a virtio-net device has at least one queue pair");
        }

        Options = options;
        _wire = wire;
    }

    public VirtioNetOptions Options { get; }

    /// <summary>The link status the config space reports.</summary>
    public bool LinkUp { get; set; } = true;

    public ulong Features =>
        VirtioFeatures.Version1 | VirtioFeatures.RingIndirectDesc | VirtioFeatures.RingEventIdx | VirtioNetFeatures.Csum
        | VirtioNetFeatures.MrgRxbuf | VirtioNetFeatures.Mac | VirtioNetFeatures.Status | VirtioNetFeatures.GuestAnnounce
        | (Options.QueuePairs > 1 ? VirtioNetFeatures.Mq : 0);

    public int NumQueues => 2 * Options.QueuePairs;

    /// <summary>
    /// QEMU's vhost-user-net is one vhost device per queue pair on one connection: with memory slots each device adds
    /// the same regions again, while the whole table (SET_MEM_TABLE) is sent once, by the first. No in-flight area
    /// either: a network front-end keeps none (a frame lost in a reconnect is lost, as on a wire). No config messages:
    /// QEMU's virtio-net keeps its config space itself, and warns of a back-end that offers them.
    /// </summary>
    public VhostUserProtocolFeatures WithheldProtocolFeatures =>
        VhostUserProtocolFeatures.ConfigureMemSlots | VhostUserProtocolFeatures.InflightShmem | VhostUserProtocolFeatures.Config;

    /// <summary>SEND_RARP: QEMU asks a back-end to announce a migrated guest that cannot announce itself.</summary>
    public VhostUserProtocolFeatures DeviceProtocolFeatures => VhostUserProtocolFeatures.Rarp;

    /// <summary>The RARP announcement for <paramref name="mac"/> goes out as if the guest had transmitted it.</summary>
    public string? SendRarp(MacAddress mac)
    {
        Span<byte> frame = stackalloc byte[RarpAnnounceFrame.Length];
        RarpAnnounceFrame.Write(mac, frame);
        _wire.Transmit(frame);
        return null;
    }

    /// <summary>The features the front-end set last.</summary>
    public ulong NegotiatedFeatures => Volatile.Read(ref _negotiated);

    /// <summary>Receive buffers may be merged (VIRTIO_NET_F_MRG_RXBUF).</summary>
    public bool MergeableReceiveBuffers => (NegotiatedFeatures & VirtioNetFeatures.MrgRxbuf) != 0;

    /// <summary>
    /// The header before each frame: 12 bytes (with num_buffers) under VIRTIO_F_VERSION_1 or mergeable buffers, the
    /// legacy 10 otherwise.
    /// </summary>
    public int HeaderLength => (NegotiatedFeatures & (VirtioFeatures.Version1 | VirtioNetFeatures.MrgRxbuf)) != 0
        ? VirtioNetHeader.Length + 2
        : VirtioNetHeader.Length;

    public void FeaturesNegotiated(ulong features) => Volatile.Write(ref _negotiated, features);

    public byte[]? ReadConfig(uint offset, int length) => VirtioConfigWindow.Read(VirtioNetConfig.Build(Options, LinkUp), offset, length);

    public static bool IsReceiveQueue(int index) => index % 2 == 0;

    /// <summary>
    /// A kick: a transmit queue's frames go to the wire. A receive queue's buffers wait for frames (a frame that finds
    /// none is dropped, not held), so its kicks need nothing.
    /// </summary>
    public void ProcessQueue(SplitVirtqueue queue)
    {
        if (IsReceiveQueue(queue.Index))
        {
            return;
        }

        var chain = new DescriptorChain();
        byte[] packet = ArrayPool<byte>.Shared.Rent(VirtioNetHeader.Length + 2 + NetFrameLimits.MaxFrameLength);
        try
        {
            do
            {
                while (queue.TryPop(chain))
                {
                    TransmitOne(chain, packet);
                    queue.Complete(chain, 0);
                }
            }
            while (queue.EnableNotification());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(packet);
        }
    }

    private void TransmitOne(DescriptorChain chain, byte[] packet)
    {
        int headerLength = HeaderLength;
        if (chain.Fault != DescriptorChainFault.None)
        {
            _wire.TransmitDropped(NetDropReason.Malformed);
            return;
        }

        if (chain.ReadableLength > headerLength + NetFrameLimits.MaxFrameLength)
        {
            _wire.TransmitDropped(NetDropReason.Oversize);
            return;
        }

        int length = GuestPieces.CopyOut(chain.Readable, 0, packet);
        // The wire carries plain frames: a checksum the driver left to the device is finished here.
        if (!VirtioNetHeader.TryCompleteChecksum(packet.AsSpan(0, length), headerLength))
        {
            _wire.TransmitDropped(NetDropReason.Malformed);
            return;
        }

        if (VirtioNetHeader.TryStrip(packet.AsSpan(0, length), headerLength, out var frame, out var reason))
        {
            _wire.Transmit(frame);
        }
        else
        {
            _wire.TransmitDropped(reason);
        }
    }
}
