using System.Net;
using System.Net.Sockets;

namespace ExportPS.TestSupport;

/// <summary>Whether something accepts connections at an endpoint (a socket file can exist before its owner listens).</summary>
internal static class SocketProbe
{
    public static bool Accepts(EndPoint endPoint)
    {
        using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(endPoint);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public static bool Accepts(string unixSocketPath) => Accepts(new UnixDomainSocketEndPoint(unixSocketPath));
}
