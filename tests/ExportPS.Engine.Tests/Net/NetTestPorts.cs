using System.Net;
using System.Net.Sockets;

namespace ExportPS.Engine.Tests.Net;

/// <summary>Loopback ports the kernel reports free at the moment (for netdevs whose options need a port number).</summary>
internal static class NetTestPorts
{
    public static int FreeTcp()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }

    /// <summary>A UDP socket bound to a free loopback port, for the test's own end of a datagram netdev.</summary>
    public static Socket BoundUdp()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.ReceiveTimeout = 10_000;
        return socket;
    }

    public static int FreeUdp()
    {
        using var socket = BoundUdp();
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
