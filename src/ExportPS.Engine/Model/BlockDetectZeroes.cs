namespace ExportPS.Engine.Model;

/// <summary>Whether a node looks for writes of all-zero data (QEMU's BlockdevDetectZeroesOptions, the blockdev option detect-zeroes).</summary>
public enum BlockDetectZeroes
{
    /// <summary>QEMU's default: writes are written as they come.</summary>
    Off,

    /// <summary>An all-zero write becomes a write-zeroes request, which keeps the range allocated.</summary>
    On,

    /// <summary>
    /// An all-zero write becomes a write-zeroes request that may deallocate the range; needs discard=unmap, as in QEMU.
    /// </summary>
    Unmap,
}
