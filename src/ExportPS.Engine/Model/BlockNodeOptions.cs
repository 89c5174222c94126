namespace ExportPS.Engine.Model;

/// <summary>Block drivers ExportPS has (QEMU's blockdev-add drivers file, raw and null-co, plus ExportPS's sparse memory disk).</summary>
public enum BlockDriverKind
{
    File,
    Memory,
    Null,

    /// <summary>QEMU's format driver raw: passes every request to its <see cref="BlockNodeOptions.File"/> child.</summary>
    Raw,

    /// <summary>ExportPS's x-fault-inject test filter: passes requests to its file child and fails those its armed rules hit.</summary>
    FaultInject,
}

public enum BlockCompression
{
    None,
    Lz4,
}

/// <summary>Options of blockdev-add for the drivers ExportPS has. Which fields apply depends on <see cref="Driver"/>.</summary>
public sealed record BlockNodeOptions
{
    /// <summary>Null: the size when none is given (QEMU's default for null-co: 1 GiB).</summary>
    public const long DefaultNullSize = 1L << 30;

    public required string NodeName { get; init; }

    public required BlockDriverKind Driver { get; init; }

    /// <summary>File: the image path (QEMU's filename).</summary>
    public string? Path { get; init; }

    /// <summary>Raw and FaultInject: node name of the child node it passes requests to (QEMU's file).</summary>
    public string? File { get; init; }

    /// <summary>Memory and Null: the virtual size in bytes.</summary>
    public long? Size { get; init; }

    public bool ReadOnly { get; init; }

    /// <summary>Node name of the backing node: reads of ranges this node has not allocated fall through to it.</summary>
    public string? Backing { get; init; }

    /// <summary>Memory: compress chunks with LZ4.</summary>
    public BlockCompression Compression { get; init; }

    /// <summary>File: O_DIRECT (QEMU's cache.direct).</summary>
    public bool CacheDirect { get; init; }

    /// <summary>Flush (and force-unit-access) succeed without making anything durable (QEMU's cache.no-flush).</summary>
    public bool NoFlush { get; init; }

    /// <summary>What a discard does (QEMU's discard; default ignore).</summary>
    public BlockDiscardMode Discard { get; init; }

    /// <summary>Whether all-zero writes become write-zeroes requests (QEMU's detect-zeroes; default off).</summary>
    public BlockDetectZeroes DetectZeroes { get; init; }

    /// <summary>
    /// QEMU's force-share: open the image without the locks that keep other writers out. ExportPS takes no image locks,
    /// so it changes nothing here; it is accepted, checked (only with read-only) and reported as QEMU does.
    /// </summary>
    public bool ForceShare { get; init; }

    /// <summary>Null: whether reads fill the buffer with zeroes (QEMU's read-zeroes; default true here).</summary>
    public bool ReadZeroes { get; init; } = true;
}
