namespace ExportPS.Engine.VhostUser;

/// <summary>Why a descriptor chain cannot be used as the driver meant it. Such a request fails; the queue carries on.</summary>
public enum DescriptorChainFault
{
    None,

    /// <summary>A buffer (or an indirect table) lies partly or wholly outside guest memory.</summary>
    AddressOutsideMemory,

    /// <summary>The chain is longer than its table: it loops.</summary>
    Loop,

    /// <summary>A next index beyond the descriptor table.</summary>
    NextOutOfRange,

    /// <summary>An indirect descriptor inside an indirect table.</summary>
    NestedIndirect,

    /// <summary>An indirect descriptor that is not the chain's only one (it has NEXT, or follows others).</summary>
    MisplacedIndirect,

    /// <summary>An indirect table that is empty, not a whole number of descriptors, or larger than a queue.</summary>
    BadIndirectTable,

    /// <summary>An indirect descriptor although VIRTIO_F_RING_INDIRECT_DESC was not negotiated.</summary>
    IndirectNotNegotiated,

    /// <summary>A device-readable buffer after a device-writable one.</summary>
    ReadableAfterWritable,
}
