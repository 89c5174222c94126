using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ExportPS.Engine.Net;

/// <summary>
/// QEMU's "host:port" of the socket netdev (listen=, connect=, udp=, mcast=, localaddr=): an IPv4 address or name, or
/// an IPv6 address in brackets, then a port; an empty host means every address (listen) or this host.
/// </summary>
public static class NetHostPort
{
    /// <summary>Parses <paramref name="text"/>; <paramref name="emptyHost"/> stands for an empty host.</summary>
    public static IPEndPoint Parse(string text, IPAddress emptyHost)
    {
        int colon = text.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > IPEndPoint.MaxPort)
            throw new FormatException($"'{text}' is not host:port");
        string host = text[..colon].Trim('[', ']');
        return new IPEndPoint(ResolveHost(host, emptyHost), port);
    }

    /// <summary>An address literal, or the first IPv4 address of a name (QEMU's socket netdev is IPv4 for names).</summary>
    public static IPAddress ResolveHost(string host, IPAddress emptyHost)
    {
        if (host.Length == 0)
            return emptyHost;
        if (IPAddress.TryParse(host, out var address))
            return address;
        var addresses = Dns.GetHostAddresses(host);
        return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
               ?? addresses.FirstOrDefault()
               ?? throw new FormatException($"host '{host}' has no address");
    }
}
