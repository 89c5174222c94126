namespace ExportPS.Engine.Block;

/// <summary>Why a block request failed; protocols map it to their errno (NBD, virtio-blk status, FUSE).</summary>
public enum BlockError
{
    /// <summary>EINVAL: out of range, misaligned, bad flags.</summary>
    InvalidArgument,

    /// <summary>EPERM: a write to a read-only node or export.</summary>
    ReadOnly,

    /// <summary>EIO: the driver failed.</summary>
    Io,

    /// <summary>ENOSPC: the backing store is full.</summary>
    NoSpace,

    /// <summary>ENOTSUP: a fast zero that cannot be done cheaply, or an operation the driver lacks.</summary>
    NotSupported,
}
