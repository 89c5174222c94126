namespace ExportPS.Engine.Model;

/// <summary>What a discard (trim) does on a node (QEMU's BlockdevDiscardOptions, the blockdev option discard).</summary>
public enum BlockDiscardMode
{
    /// <summary>QEMU's default: a discard succeeds without changing anything, and write-zeroes never deallocates.</summary>
    Ignore,

    /// <summary>A discard deallocates the range, and write-zeroes may deallocate where its caller allows it.</summary>
    Unmap,
}
