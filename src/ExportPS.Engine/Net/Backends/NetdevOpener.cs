using System.Net;
using System.Net.Sockets;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Transport;

namespace ExportPS.Engine.Net.Backends;

/// <summary>
/// Opens the sockets (or tap devices) of a socket, stream, dgram, l2tpv3 or tap netdev and makes the netdev with its backend (not yet started).
/// Sockets are bound or connected here, so a refused address fails the netdev_add, as in QEMU.
/// </summary>
internal static class NetdevOpener
{
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
            return Connected(options.Id, type, ConnectTo(NetHostPort.Parse(connect, IPAddress.Loopback)), reconnectSeconds: 0, endPoint: null);

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

        var endPoint = options.Address.ToEndPoint();
        Socket? first;
        try
        {
            first = ConnectTo(endPoint);
        }
        catch (SocketException) when (options.Reconnect > 0)
        {
            first = null;
        }

        return Connected(options.Id, type, first, options.Reconnect, endPoint);
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

    private static Netdev Listening(string id, string type, SocketListener listener) =>
        new(id, owner => new StreamBackend(type, owner, null, async token => await listener.AcceptAsync(token).ConfigureAwait(false), listener));

    /// <summary>A client: the first connection, then (with a reconnect delay) new ones after each loss.</summary>
    private static Netdev Connected(string id, string type, Socket? first, int reconnectSeconds, EndPoint? endPoint) =>
        new(id, owner => new StreamBackend(type, owner, first, async token =>
        {
            if (reconnectSeconds <= 0 || endPoint is null)
                return null;
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(reconnectSeconds), token).ConfigureAwait(false);
                try
                {
                    return ConnectTo(endPoint);
                }
                catch (SocketException)
                {
                    // Not there yet: try again after the delay.
                }
            }
        }));

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

    private static Socket ConnectTo(EndPoint endPoint)
    {
        var socket = new Socket(endPoint is UnixDomainSocketEndPoint ? AddressFamily.Unix : endPoint.AddressFamily is AddressFamily.Unspecified ? AddressFamily.InterNetwork : endPoint.AddressFamily,
            SocketType.Stream, endPoint is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp);
        try
        {
            socket.Connect(endPoint);
            if (socket.AddressFamily != AddressFamily.Unix)
                socket.NoDelay = true;
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
