namespace ExportPS.Engine.VhostUser;

/// <summary>Device-independent virtio feature bits, and the vhost-user bit that enables protocol features.</summary>
public static class VirtioFeatures
{
    public const ulong RingIndirectDesc = 1UL << 28;
    public const ulong RingEventIdx = 1UL << 29;

    /// <summary>VHOST_USER_F_PROTOCOL_FEATURES: a vhost-user bit in the virtio feature word (unused by virtio itself).</summary>
    public const ulong ProtocolFeatures = 1UL << 30;

    public const ulong Version1 = 1UL << 32;
}
