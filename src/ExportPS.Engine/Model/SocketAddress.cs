using System.Net;
using System.Net.Sockets;

namespace ExportPS.Engine.Model;

public enum SocketAddressKind
{
    Inet,
    Unix,
}

/// <summary>QEMU's SocketAddress for the kinds ExportPS listens on: inet (host, port) and unix (path).</summary>
public sealed record SocketAddressOptions
{
    public SocketAddressKind Kind { get; init; } = SocketAddressKind.Inet;

    public string Host { get; init; } = "127.0.0.1";

    public int Port { get; init; } = DefaultNbdPort;

    public string? Path { get; init; }

    public const int DefaultNbdPort = 10809;

    public static SocketAddressOptions Inet(string host, int port) => new() { Kind = SocketAddressKind.Inet, Host = host, Port = port };

    public static SocketAddressOptions Unix(string path) => new() { Kind = SocketAddressKind.Unix, Path = path };

    public EndPoint ToEndPoint() => Kind switch
    {
        SocketAddressKind.Unix => new UnixDomainSocketEndPoint(Path!),
        _ => IPAddress.TryParse(Host.Trim('[', ']'), out var ip) ? new IPEndPoint(ip, Port) : new DnsEndPoint(Host, Port),
    };

    public override string ToString() => Kind == SocketAddressKind.Unix
        ? $"unix:{Path}"
        : Host.Contains(':') && !Host.StartsWith('[') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
