namespace ExportPS.Engine.Model;

/// <summary>One block node as query-named-block-nodes reports it, plus allocation and bitmap names.</summary>
public sealed record BlockNodeInfo
{
    public required string NodeName { get; init; }

    public required BlockDriverKind Driver { get; init; }

    public required long Size { get; init; }

    public required bool ReadOnly { get; init; }

    public string? Backing { get; init; }

    public string? Path { get; init; }

    /// <summary>Raw: the child node's name.</summary>
    public string? File { get; init; }

    public required long AllocatedBytes { get; init; }

    public BlockCompression Compression { get; init; }

    /// <summary>File: O_DIRECT (QEMU's cache.direct).</summary>
    public bool CacheDirect { get; init; }

    /// <summary>Flush is a no-op (QEMU's cache.no-flush).</summary>
    public bool NoFlush { get; init; }

    public BlockDiscardMode Discard { get; init; }

    public BlockDetectZeroes DetectZeroes { get; init; }

    /// <summary>QEMU's force-share (ExportPS takes no image locks, so it changes nothing).</summary>
    public bool ForceShare { get; init; }

    /// <summary>Null: whether reads return zeroes.</summary>
    public bool ReadZeroes { get; init; }

    public required string[] Bitmaps { get; init; }

    /// <summary>Nbd: the server ("host:port" or "unix:/path").</summary>
    public string? Server { get; init; }

    /// <summary>Nbd: the export name.</summary>
    public string? Export { get; init; }

    /// <summary>Nbd: the tls-creds object's id.</summary>
    public string? TlsCreds { get; init; }

    public string? TlsHostname { get; init; }

    /// <summary>Nbd: seconds requests wait for a lost connection.</summary>
    public uint ReconnectDelay { get; init; }

    /// <summary>Nbd: seconds the first connection was retried for.</summary>
    public uint OpenTimeout { get; init; }

    public string? XDirtyBitmap { get; init; }

    /// <summary>Nbd: connections asked for (x-multi-conn).</summary>
    public uint XMultiConn { get; init; } = 1;

    /// <summary>Nbd: connections open to the server (1 unless it advertises multi-conn).</summary>
    public int Connections { get; init; }

    /// <summary>Nbd: the connection to the server now.</summary>
    public NbdConnectionState? ConnectionState { get; init; }

    /// <summary>Nbd: connections made again after a loss.</summary>
    public int Reconnects { get; init; }

    /// <summary>Nbd: why the last connection ended or the last attempt failed.</summary>
    public string? ConnectionError { get; init; }
}
