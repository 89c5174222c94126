using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using ExportPS.Engine.Interop;
using ExportPS.Engine.Model;
using Microsoft.Win32.SafeHandles;

namespace ExportPS.Engine.Transport;

/// <summary>
/// A listening stream socket for any server of the engine (NBD, QMP, vhost-user), bound from QEMU's SocketAddress kinds:
/// inet (IPv4 or IPv6; port 0 picks a free port, reported by <see cref="Port"/>), unix (a path, claimed by
/// <see cref="UnixSocketPath"/>'s rule) and fd (a socket that is already listening, handed over by whoever started the
/// process). A unix socket file this listener created is removed when it closes. Binding failures are
/// <see cref="SocketException"/>s or <see cref="IOException"/>s.
/// </summary>
internal sealed class SocketListener : IDisposable
{
    private const int DefaultBacklog = 128;
    private const int SoReuseAddr = 2;

    private readonly Socket _socket;

    /// <summary>The path and inode of the unix socket file this listener created, to remove on close.</summary>
    private readonly string? _createdPath;
    private readonly ulong _createdInode;

    private SocketListener(Socket socket, string? createdPath = null)
    {
        _socket = socket;
        _createdPath = createdPath;
        _createdInode = createdPath is null ? 0 : InodeOf(createdPath);
        Port = socket.LocalEndPoint is IPEndPoint ip ? ip.Port : 0;
    }

    /// <summary>The TCP port listened on (the one picked for port 0); 0 for a unix socket.</summary>
    public int Port { get; }

    public bool IsUnix => _socket.AddressFamily == AddressFamily.Unix;

    /// <summary>Binds <paramref name="address"/> (inet or unix) and listens.</summary>
    public static SocketListener Bind(SocketAddressOptions address, int backlog = DefaultBacklog) => address.Kind switch
    {
        SocketAddressKind.Unix => BindUnix(address.Path!, backlog),
        SocketAddressKind.Inet => BindInet(address.Host, address.Port, backlog),
        _ => throw new ArgumentOutOfRangeException(nameof(address), address.Kind, "Unknown socket address kind"),
    };

    public static SocketListener BindInet(string host, int port, int backlog = DefaultBacklog)
    {
        var ip = IPAddress.TryParse(host.Trim('[', ']'), out var parsed)
            ? parsed
            : Dns.GetHostAddresses(host).FirstOrDefault()
              ?? throw new SocketException((int)SocketError.HostNotFound);
        var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // SO_REUSEADDR only (restart while old connections linger in TIME_WAIT); .NET's ReuseAddress would add
            // SO_REUSEPORT and let a second server share the port.
            socket.SetRawSocketOption(Native.SOL_SOCKET, SoReuseAddr, BitConverter.GetBytes(1));
            socket.Bind(new IPEndPoint(ip, port));
            socket.Listen(backlog);
            return new SocketListener(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static SocketListener BindUnix(string path, int backlog = DefaultBacklog)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] name = Encoding.UTF8.GetBytes(path);
        if (name.Length >= Native.UnixPathCapacity)
        {
            throw new IOException($"'{path}' is longer than the {Native.UnixPathCapacity - 1} bytes a unix socket path may have");
        }

        UnixSocketPath.ClaimForListening(path);
        int fd = Native.CreateSocket(Native.AF_UNIX, Native.SOCK_STREAM | Native.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new IOException(Native.ErrorText(Marshal.GetLastPInvokeError()));
        }

        var handle = new SafeSocketHandle(fd, ownsHandle: true);
        try
        {
            BindAndListen(handle, name, backlog);
            return new SocketListener(new Socket(handle), path);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Binds natively, so that only this listener's rule decides when the file goes (see <see cref="Native"/>).</summary>
    private static unsafe void BindAndListen(SafeSocketHandle handle, byte[] name, int backlog)
    {
        byte* address = stackalloc byte[Native.UnixAddressLength];
        new Span<byte>(address, Native.UnixAddressLength).Clear();
        *(ushort*)address = Native.AF_UNIX;
        name.CopyTo(new Span<byte>(address + 2, Native.UnixPathCapacity));
        if (Native.Bind(handle, address, Native.UnixAddressLength) != 0)
        {
            throw new IOException(Native.ErrorText(Marshal.GetLastPInvokeError()));
        }

        if (Native.Listen(handle, backlog) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            File.Delete(Encoding.UTF8.GetString(name));
            throw new IOException(Native.ErrorText(errno));
        }
    }

    /// <summary>
    /// Takes over <paramref name="fd"/>, a stream socket already listening (QEMU's SocketAddress type fd). The listener
    /// owns it from this call on, also when it refuses it; its file, if any, is the creator's to remove.
    /// </summary>
    public static SocketListener Adopt(int fd)
    {
        Socket socket;
        try
        {
            socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        }
        catch (SocketException e)
        {
            new SafeFileHandle(fd, ownsHandle: true).Dispose();
            throw new IOException($"File descriptor {fd} is not a socket: {e.Message}", e);
        }

        try
        {
            if (socket.SocketType != SocketType.Stream
                || (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.AcceptConnection)! == 0)
            {
                throw new IOException($"File descriptor {fd} is not a listening stream socket");
            }

            return new SocketListener(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The next connection; TCP ones have Nagle off, as every protocol here sends whole messages.</summary>
    public async ValueTask<Socket> AcceptAsync(CancellationToken cancellationToken)
    {
        var client = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
        if (client.AddressFamily != AddressFamily.Unix)
        {
            client.NoDelay = true;
        }

        return client;
    }

    /// <summary>Stops listening; removes the socket file if this listener created it and it is still the one at the path.</summary>
    public void Dispose()
    {
        if (_createdPath is not null && InodeOf(_createdPath) == _createdInode && _createdInode != 0)
        {
            File.Delete(_createdPath);
        }

        _socket.Dispose();
    }

    private static ulong InodeOf(string path) =>
        Native.StatPath(Native.AT_FDCWD, path, Native.AT_SYMLINK_NOFOLLOW, Native.STATX_INO, out var stat) == 0 ? stat.Inode : 0;
}
