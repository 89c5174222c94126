using System.Net.Sockets;
using ExportPS.Engine.Interop;

namespace ExportPS.Engine.Transport;

/// <summary>
/// The one rule for a path a unix listener is about to bind: nothing there is fine; a stale socket (one nobody listens
/// on, left by a server that crashed) is removed; a socket that a server still answers on, or anything that is not a
/// socket, is refused with an <see cref="IOException"/> naming the path, so a mistyped path never deletes an image
/// and two servers never steal each other's socket.
/// </summary>
internal static class UnixSocketPath
{
    public static void ClaimForListening(string path)
    {
        if (Native.StatPath(Native.AT_FDCWD, path, Native.AT_SYMLINK_NOFOLLOW, Native.STATX_TYPE, out var stat) != 0)
        {
            return;
        }

        if ((stat.Mode & Native.S_IFMT) != Native.S_IFSOCK)
        {
            throw new IOException($"'{path}' exists and is not a socket: it is left alone");
        }

        if (IsListenedOn(path))
        {
            throw new IOException($"'{path}' is a socket another server is listening on");
        }

        File.Delete(path);
    }

    /// <summary>
    /// True when a connection attempt reaches a listener; a stale socket refuses it at once. A live server sees one
    /// connection that closes without a word, as from a port probe.
    /// </summary>
    private static bool IsListenedOn(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
        {
            // The listener's backlog is full: it is alive, only busy.
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return false;
        }
    }
}
