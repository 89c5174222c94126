using System.Net;
using System.Net.Sockets;

namespace ExportPS.Engine.Model;

public enum SocketAddressKind
{
    Inet,
    Unix,

    /// <summary>A socket that is already listening, passed to the process as a file descriptor (vhost-user only).</summary>
    Fd,
}

/// <summary>QEMU's SocketAddress for the kinds ExportPS listens on: inet (host, port), unix (path) and fd (a descriptor number).</summary>
public sealed record SocketAddressOptions
{
    public SocketAddressKind Kind { get; init; } = SocketAddressKind.Inet;

    public string Host { get; init; } = "127.0.0.1";

    public int Port { get; init; } = DefaultNbdPort;

    public string? Path { get; init; }

    /// <summary>The descriptor number of an fd address, as text (QEMU's str, which may also name a monitor fd).</summary>
    public string? Fd { get; init; }

    public const int DefaultNbdPort = 10809;

    public static SocketAddressOptions Inet(string host, int port) => new() { Kind = SocketAddressKind.Inet, Host = host, Port = port };

    public static SocketAddressOptions Unix(string path) => new() { Kind = SocketAddressKind.Unix, Path = path };

    public static SocketAddressOptions FromFd(string fd) => new() { Kind = SocketAddressKind.Fd, Fd = fd };

    public EndPoint ToEndPoint() => Kind switch
    {
        SocketAddressKind.Unix => new UnixDomainSocketEndPoint(Path!),
        SocketAddressKind.Fd => throw new InvalidOperationException("A passed file descriptor has no endpoint to connect to"),
        _ => IPAddress.TryParse(Host.Trim('[', ']'), out var ip) ? new IPEndPoint(ip, Port) : new DnsEndPoint(Host, Port),
    };

    public override string ToString() => Kind switch
    {
        SocketAddressKind.Unix => $"unix:{Path}",
        SocketAddressKind.Fd => $"fd:{Fd}",
        _ => Host.Contains(':') && !Host.StartsWith('[') ? $"[{Host}]:{Port}" : $"{Host}:{Port}",
    };
}
