using ExportPS.Engine.Model;

namespace ExportPS.Engine.Configuration;

/// <summary>A block node (blockdev-add). Which properties apply depends on <see cref="Driver"/>; the parser refuses the others.</summary>
public sealed record BlockNodeConfiguration
{
    public required string NodeName { get; init; }

    public ConfigurationEnsure Ensure { get; init; }

    public BlockDriverKind Driver { get; init; }

    /// <summary>File only.</summary>
    public string? Path { get; init; }

    /// <summary>Raw only: the node name of the child node it passes requests to (QEMU's file).</summary>
    public string? File { get; init; }

    /// <summary>Memory and Null only.</summary>
    public long? Size { get; init; }

    public bool ReadOnly { get; init; }

    public string? Backing { get; init; }

    /// <summary>Memory only.</summary>
    public BlockCompression Compression { get; init; }

    /// <summary>File only.</summary>
    public bool CacheDirect { get; init; }

    /// <summary>Null only.</summary>
    public bool ReadZeroes { get; init; } = true;

    public BlockDiscardMode Discard { get; init; }

    public BlockDetectZeroes DetectZeroes { get; init; }

    /// <summary>QEMU's cache.no-flush.</summary>
    public bool NoFlush { get; init; }

    /// <summary>Only with <see cref="ReadOnly"/>.</summary>
    public bool ForceShare { get; init; }

    /// <summary>Nbd only: the server, "host:port" or "unix:/path".</summary>
    public SocketAddressOptions? Server { get; init; }

    /// <summary>Nbd only.</summary>
    public string? Export { get; init; }

    /// <summary>Nbd only: the tls-creds object (client endpoint).</summary>
    public string? TlsCreds { get; init; }

    /// <summary>Nbd only.</summary>
    public string? TlsHostname { get; init; }

    /// <summary>Nbd only: seconds.</summary>
    public uint ReconnectDelay { get; init; }

    /// <summary>Nbd only: seconds.</summary>
    public uint OpenTimeout { get; init; }

    /// <summary>Nbd only.</summary>
    public string? XDirtyBitmap { get; init; }

    /// <summary>Nbd only: connections when the server advertises multi-conn.</summary>
    public uint XMultiConn { get; init; } = 1;

    public BlockNodeOptions ToOptions() => new()
    {
        NodeName = NodeName,
        Driver = Driver,
        Path = Path,
        File = File,
        Size = Size,
        ReadOnly = ReadOnly,
        Backing = Backing,
        Compression = Compression,
        CacheDirect = CacheDirect,
        ReadZeroes = ReadZeroes,
        Discard = Discard,
        DetectZeroes = DetectZeroes,
        NoFlush = NoFlush,
        ForceShare = ForceShare,
        Server = Server,
        Export = Export,
        TlsCreds = TlsCreds,
        TlsHostname = TlsHostname,
        ReconnectDelay = ReconnectDelay,
        OpenTimeout = OpenTimeout,
        XDirtyBitmap = XDirtyBitmap,
        XMultiConn = XMultiConn,
    };
}
