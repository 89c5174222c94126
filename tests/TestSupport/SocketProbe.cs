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

    /// <summary>The socket state flag of a listening socket in /proc/net/unix (__SO_ACCEPTCON).</summary>
    private const string ListeningFlags = "00010000";

    /// <summary>
    /// Whether a unix socket listens at <paramref name="unixSocketPath"/>, as the kernel's /proc/net/unix says: no
    /// connection is made, so the peer sees no stranger. vde_switch 2.3 loses track of a port when a probe's close and a
    /// real client's connect reach it in one poll round: the port then outlives its client.
    /// </summary>
    public static bool Listens(string unixSocketPath) =>
        File.ReadLines("/proc/net/unix").Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Any(fields => fields.Length == 8 && fields[3] == ListeningFlags && fields[7] == unixSocketPath);
}
