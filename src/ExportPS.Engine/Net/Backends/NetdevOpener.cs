using System.Net;
using System.Net.Sockets;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Net.Slirp;
using ExportPS.Engine.Transport;

namespace ExportPS.Engine.Net.Backends;

/// <summary>
/// Opens the sockets (or tap devices, VDE switch ports or a libslirp instance) of a socket, stream, dgram, l2tpv3, tap, bridge, vde, vhost-user or user netdev and makes the netdev with its backend (not yet started).
/// Sockets are bound here, so an address in use fails the netdev_add, as in QEMU. A client waits a moment for its first
/// connection: a refusal within it fails the add; a connection still in progress then completes in the background, as
/// QEMU 7.2's socket connect= and stream client do (they return at once and connect later).
/// </summary>
internal static class NetdevOpener
{
    /// <summary>How long netdev_add waits for a client's first connection before leaving it to the backend.</summary>
    private static readonly TimeSpan FirstConnectionWait = TimeSpan.FromSeconds(1);

    public static Netdev Open(NetdevOptions options)
    {
        try
        {
            return options switch
            {
                SocketNetdevOptions socket => OpenSocket(socket),
                StreamNetdevOptions stream => OpenStream(stream),
                DgramNetdevOptions dgram => OpenDgram(dgram),
                L2tpv3NetdevOptions l2tpv3 => L2tpv3Opener.Open(l2tpv3),
                TapNetdevOptions tap => TapOpener.Open(tap),
                BridgeNetdevOptions bridge => TapOpener.Open(bridge),
                VdeNetdevOptions vde => OpenVde(vde),
                VhostUserNetdevOptions vhostUser => OpenVhostUser(vhostUser),
                UserNetdevOptions user => new Netdev(user.Id, owner => new SlirpBackend(owner, UserNetwork.Resolve(user), user)),
                _ => throw new ArgumentOutOfRangeException(nameof(options), options.Type, "not a wire netdev"),
            };
        }
        catch (Exception e) when (e is SocketException or IOException or FormatException)
        {
            throw new EngineException(ErrorIds.NetdevOpenFailed, EngineErrorCategory.IoError,
                $"netdev '{options.Id}' ({options.Type}): {e.Message}", e) { Target = options.Id };
        }
    }

    private static Netdev OpenSocket(SocketNetdevOptions options)
    {
        const string type = SocketNetdevOptions.TypeName;
        if (options.Listen is { } listen)
        {
            var address = NetHostPort.Parse(listen, IPAddress.Any);
            return Listening(options.Id, type, SocketListener.BindInet(address.Address.ToString(), address.Port));
        }

        if (options.Connect is { } connect)
            return Client(options.Id, type, NetHostPort.Parse(connect, IPAddress.Loopback), reconnectSeconds: 0);

        if (options.Udp is { } udp)
        {
            var local = NetHostPort.Parse(options.LocalAddr!, IPAddress.Any);
            var socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            return Datagram(options.Id, type, socket, local, NetHostPort.Parse(udp, IPAddress.Loopback));
        }

        if (options.Mcast is { } mcast)
            return Multicast(options.Id, NetHostPort.Parse(mcast, IPAddress.Any), options.LocalAddr);

        return Adopted(options.Id, int.Parse(options.Fd!, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static Netdev OpenStream(StreamNetdevOptions options)
    {
        const string type = StreamNetdevOptions.TypeName;
        if (options.Server)
            return Listening(options.Id, type, SocketListener.Bind(options.Address));

        return Client(options.Id, type, options.Address.ToEndPoint(), options.Reconnect);
    }

    private static Netdev OpenDgram(DgramNetdevOptions options)
    {
        if (options.Local.Kind != options.Remote.Kind)
            throw new FormatException("local and remote addresses must be of the same type");
        const string type = DgramNetdevOptions.TypeName;
        if (options.Local.Kind == SocketAddressKind.Unix)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            return Datagram(options.Id, type, socket, options.Local.ToEndPoint(), options.Remote.ToEndPoint(), options.Local.Path);
        }

        var local = new IPEndPoint(NetHostPort.ResolveHost(options.Local.Host, IPAddress.Any), options.Local.Port);
        var remote = new IPEndPoint(NetHostPort.ResolveHost(options.Remote.Host, IPAddress.Loopback), options.Remote.Port);
        return Datagram(options.Id, type, new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp), local, remote);
    }

    /// <summary>vhost-user: the back-end listens on the socket and serves QEMU when it connects.</summary>
    private static Netdev OpenVhostUser(VhostUserNetdevOptions options)
    {
        var listener = SocketListener.BindUnix(options.SocketPath!);
        return new Netdev(options.Id, owner => new VhostUserNetBackend(owner, listener, options.QueuePairs));
    }

    /// <summary>vde: a port on the switch, taken here so that a switch that is not there fails the add.</summary>
    private static Netdev OpenVde(VdeNetdevOptions options)
    {
        var connection = VdeConnection.Open(options);
        return new Netdev(options.Id, owner => new VdeBackend(owner, connection));
    }

    private static Netdev Listening(string id, string type, SocketListener listener) =>
        new(id, owner => new StreamBackend(type, owner, null, async token => await listener.AcceptAsync(token).ConfigureAwait(false), listener));

    /// <summary>
    /// A client. Its first connection is waited for a moment: refused then, the add fails (unless the client
    /// reconnects); still in progress, the backend takes it once it completes (and closes it if removed first).
    /// </summary>
    private static Netdev Client(string id, string type, EndPoint endPoint, int reconnectSeconds)
    {
        var socket = NewStreamSocket(endPoint);
        try
        {
            var connecting = socket.ConnectAsync(endPoint);
            Task.WhenAny(connecting, Task.Delay(FirstConnectionWait)).GetAwaiter().GetResult();
            if (!connecting.IsCompleted)
                return Connected(id, type, first: null, reconnectSeconds, endPoint, pending: (socket, connecting));
            connecting.GetAwaiter().GetResult();
            Configure(socket);
            return Connected(id, type, socket, reconnectSeconds, endPoint);
        }
        catch (SocketException) when (reconnectSeconds > 0)
        {
            socket.Dispose();
            return Connected(id, type, first: null, reconnectSeconds, endPoint);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A stream client's backend: the first connection (made, or <paramref name="pending"/>), then with a reconnect
    /// delay new ones after each loss.
    /// </summary>
    private static Netdev Connected(string id, string type, Socket? first, int reconnectSeconds, EndPoint? endPoint,
        (Socket Socket, Task Connecting)? pending = null) =>
        new(id, owner => new StreamBackend(type, owner, first, async token =>
        {
            if (pending is var (socket, connecting))
            {
                pending = null;
                try
                {
                    await connecting.WaitAsync(token).ConfigureAwait(false);
                    Configure(socket);
                    return socket;
                }
                catch (SocketException)
                {
                    socket.Dispose();
                }
            }

            if (reconnectSeconds <= 0 || endPoint is null)
                return null;
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(reconnectSeconds), token).ConfigureAwait(false);
                try
                {
                    return await ConnectAsync(endPoint, token).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    // Not there yet: try again after the delay.
                }
            }
        }, listener: pending?.Socket));

    private static Netdev Datagram(string id, string type, Socket socket, EndPoint local, EndPoint remote, string? boundPath = null)
    {
        try
        {
            socket.Bind(local);
            return new Netdev(id, owner => new DatagramBackend(type, owner, socket, remote, boundPath));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>socket mcast=: every member of the group (on this host too) receives what one sends.</summary>
    private static Netdev Multicast(string id, IPEndPoint group, string? localAddress)
    {
        if (!IPAddressIsMulticast(group.Address))
            throw new FormatException($"{group.Address} is not a multicast address");
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            var local = localAddress is null ? IPAddress.Any : NetHostPort.ResolveHost(localAddress, IPAddress.Any);
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(IPAddress.Any, group.Port));
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(group.Address, local));
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, true);
            if (localAddress is not null)
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, local.GetAddressBytes());
            return new Netdev(id, owner => new DatagramBackend(SocketNetdevOptions.TypeName, owner, socket, group));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>socket fd=: a connected stream socket, or a (connected) datagram socket, handed over by number.</summary>
    private static Netdev Adopted(string id, int fd)
    {
        var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        return socket.SocketType == SocketType.Stream
            ? Connected(id, SocketNetdevOptions.TypeName, socket, reconnectSeconds: 0, endPoint: null)
            : new Netdev(id, owner => new DatagramBackend(SocketNetdevOptions.TypeName, owner, socket, remote: null));
    }

    private static bool IPAddressIsMulticast(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork && (address.GetAddressBytes()[0] & 0xF0) == 0xE0;

    private static Socket NewStreamSocket(EndPoint endPoint) => endPoint is UnixDomainSocketEndPoint
        ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        : new Socket(endPoint.AddressFamily is AddressFamily.Unspecified ? AddressFamily.InterNetwork : endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);

    /// <summary>Frames go out as soon as they are written, not held back to fill a segment.</summary>
    private static void Configure(Socket socket)
    {
        if (socket.AddressFamily != AddressFamily.Unix)
            socket.NoDelay = true;
    }

    private static async Task<Socket> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken)
    {
        var socket = NewStreamSocket(endPoint);
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            Configure(socket);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
