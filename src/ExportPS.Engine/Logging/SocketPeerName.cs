using System.Net;
using System.Net.Sockets;

namespace ExportPS.Engine.Logging;

/// <summary>Who is at the other end of a connected socket, for log messages: "address:port", or "unix socket".</summary>
internal static class SocketPeerName
{
    public static string Of(Socket socket)
    {
        try
        {
            return socket.RemoteEndPoint is IPEndPoint remote ? remote.ToString() : "unix socket";
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return "a peer already gone";
        }
    }
}
