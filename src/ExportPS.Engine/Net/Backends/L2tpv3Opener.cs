using System.Net;
using System.Net.Sockets;
using ExportPS.Engine.Interop;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Net.Backends;

/// <summary>
/// Opens the socket of an l2tpv3 netdev: raw IP protocol 115 bound to src= (root or CAP_NET_RAW, as in QEMU), or UDP
/// bound to src=:srcport=; packets go to dst= (dst=:dstport= in UDP). Addresses are IPv4 unless ipv6=on, as in QEMU.
/// </summary>
internal static class L2tpv3Opener
{
    /// <summary>The IANA protocol number of L2TP over IP.</summary>
    public const int IPProtocolL2tp = 115;

    public static Netdev Open(L2tpv3NetdevOptions options)
    {
        var family = options.Ipv6 == true ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        bool udp = options.Udp == true;
        var local = new IPEndPoint(Resolve(options.Src, family, "src"), udp ? options.SrcPort!.Value : 0);
        var remote = new IPEndPoint(Resolve(options.Dst, family, "dst"), udp ? options.DstPort!.Value : 0);
        var socket = udp ? new Socket(family, SocketType.Dgram, ProtocolType.Udp) : RawSocket(family);
        try
        {
            socket.Bind(local);
            var header = L2tpv3Header.From(options);
            var encapsulation = new L2tpv3Encapsulation(header, receivesIPv4Header: !udp && family == AddressFamily.InterNetwork);
            return new Netdev(options.Id, owner => new DatagramBackend(L2tpv3NetdevOptions.TypeName, owner, socket, remote, encapsulation: encapsulation));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>An address literal or name of the tunnel's family.</summary>
    private static IPAddress Resolve(string host, AddressFamily family, string option)
    {
        string familyName = family == AddressFamily.InterNetworkV6 ? "an IPv6 address" : "an IPv4 address (ipv6=on for IPv6)";
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : Dns.GetHostAddresses(host);
        return addresses.FirstOrDefault(address => address.AddressFamily == family)
               ?? throw new FormatException($"could not resolve {option} '{host}' as {familyName}");
    }

    /// <summary>A raw socket of protocol 115, made by socket(2): .NET's Socket refuses protocol numbers it has no name for.</summary>
    private static Socket RawSocket(AddressFamily family)
    {
        int fd = Native.CreateSocket(family == AddressFamily.InterNetworkV6 ? Native.AF_INET6 : Native.AF_INET, Native.SOCK_RAW | Native.SOCK_CLOEXEC, IPProtocolL2tp);
        Native.Check(fd, "socket(SOCK_RAW, IPPROTO_L2TP)");
        return new Socket(new SafeSocketHandle(fd, ownsHandle: true));
    }
}
