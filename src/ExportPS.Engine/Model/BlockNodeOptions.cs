namespace ExportPS.Engine.Model;

/// <summary>Block drivers ExportPS has (QEMU's blockdev-add drivers file, raw, null-co and nbd, plus ExportPS's sparse memory disk).</summary>
public enum BlockDriverKind
{
    File,
    Memory,
    Null,

    /// <summary>QEMU's format driver raw: passes every request to its <see cref="BlockNodeOptions.File"/> child.</summary>
    Raw,

    /// <summary>QEMU's nbd protocol driver: the node is an export of a remote NBD server.</summary>
    Nbd,
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

    /// <summary>Nbd: the server to connect to (inet or unix; QEMU's server).</summary>
    public SocketAddressOptions? Server { get; init; }

    /// <summary>Nbd: the export name (QEMU's export; default the empty name).</summary>
    public string? Export { get; init; }

    /// <summary>Nbd: id of the tls-creds object with a client endpoint; the connection then upgrades with STARTTLS.</summary>
    public string? TlsCreds { get; init; }

    /// <summary>Nbd: the name the server certificate must carry (default: the inet host; none for a unix socket).</summary>
    public string? TlsHostname { get; init; }

    /// <summary>
    /// Nbd: seconds that requests wait for a lost connection to come back before they fail (QEMU's reconnect-delay;
    /// 0: they fail at once, while the driver still reconnects in the background).
    /// </summary>
    public uint ReconnectDelay { get; init; }

    /// <summary>Nbd: seconds the first connection is retried for (QEMU's open-timeout; 0: one attempt).</summary>
    public uint OpenTimeout { get; init; }

    /// <summary>
    /// Nbd: a metadata context queried for block status in place of base:allocation (QEMU's x-dirty-bitmap, such as
    /// "qemu:dirty-bitmap:NAME"): its bit 0 reads as a hole, so dirty ranges show as unallocated.
    /// </summary>
    public string? XDirtyBitmap { get; init; }

    /// <summary>
    /// Nbd: connections to open when the server advertises multi-conn (ExportPS's x-multi-conn, 1 to
    /// <see cref="MaxMultiConn"/>); requests are spread over them. A server without multi-conn gets one.
    /// </summary>
    public uint XMultiConn { get; init; } = 1;

    public const uint MaxMultiConn = 16;
}
