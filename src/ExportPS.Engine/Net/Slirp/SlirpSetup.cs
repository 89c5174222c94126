using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Net.Slirp;

/// <summary>
/// Makes the libslirp instance of a user netdev: the SlirpConfig from the resolved network and the options, the
/// callbacks of <see cref="SlirpBackend"/>, then the host and guest forwards in the order given. A forward libslirp
/// refuses fails the whole setup with QEMU's text, and the instance is cleaned up again.
/// </summary>
internal static unsafe class SlirpSetup
{
    private const ushort AddressFamilyInet = 2;
    private const ushort AddressFamilyUnix = 1;
    private const int SockAddrInLength = 16;
    private const int SockAddrUnLength = 110;

    /// <summary>The callbacks of every instance: libslirp keeps the pointer, not a copy, so the table lives as long as the process.</summary>
    private static readonly SlirpNative.Callbacks* Callbacks = CreateCallbacks();

    private static SlirpNative.Callbacks* CreateCallbacks()
    {
        var callbacks = (SlirpNative.Callbacks*)NativeMemory.AllocZeroed((nuint)sizeof(SlirpNative.Callbacks));
        callbacks->SendPacket = &SlirpBackend.SendPacket;
        callbacks->GuestError = &SlirpBackend.GuestError;
        callbacks->ClockGetNs = &SlirpBackend.ClockGetNs;
        callbacks->TimerFree = &SlirpBackend.TimerFree;
        callbacks->TimerMod = &SlirpBackend.TimerMod;
        callbacks->RegisterPollFd = &SlirpBackend.PollFdChanged;
        callbacks->UnregisterPollFd = &SlirpBackend.PollFdChanged;
        callbacks->Notify = &SlirpBackend.Notify;
        callbacks->TimerNewOpaque = &SlirpBackend.TimerNewOpaque;
        return callbacks;
    }

    public static nint Create(UserNetwork network, UserNetdevOptions options, NativeStrings strings, nint opaque)
    {
        var config = new SlirpNative.Config
        {
            Version = SlirpNative.ConfigVersion,
            Restricted = network.Restricted ? 1 : 0,
            InEnabled = network.Ipv4 ? (byte)1 : (byte)0,
            VNetwork = InAddr(network.Network),
            VNetmask = InAddr(network.Mask),
            VHost = InAddr(network.Host),
            In6Enabled = network.Ipv6 ? (byte)1 : (byte)0,
            VPrefixLen = (byte)network.PrefixLength6,
            VHostname = strings.Add(options.Hostname),
            TftpServerName = strings.Add(options.TftpServerName),
            TftpPath = strings.Add(options.Tftp),
            Bootfile = strings.Add(options.Bootfile),
            VDhcpStart = InAddr(network.DhcpStart),
            VNameserver = InAddr(network.Dns),
            VDnsSearch = strings.AddList(options.DnsSearch),
            VDomainName = strings.Add(options.DomainName),
        };
        network.Prefix6.GetAddressBytes().CopyTo(new Span<byte>(config.VPrefixAddr6, 16));
        network.Host6.GetAddressBytes().CopyTo(new Span<byte>(config.VHost6, 16));
        network.Dns6.GetAddressBytes().CopyTo(new Span<byte>(config.VNameserver6, 16));

        nint slirp = SlirpNative.New(&config, Callbacks, opaque);
        if (slirp == 0)
            throw new IOException("libslirp refused the network configuration");
        try
        {
            foreach (var rule in network.HostForwards)
                AddHostForward(slirp, rule, options.Id);
            foreach (var rule in network.GuestForwards)
                AddGuestForward(slirp, rule, options.Id);
            return slirp;
        }
        catch
        {
            SlirpNative.Cleanup(slirp);
            throw;
        }
    }

    private static void AddHostForward(nint slirp, HostForwardRule rule, string id)
    {
        Span<byte> host = stackalloc byte[SockAddrUnLength];
        Span<byte> guest = stackalloc byte[SockAddrInLength];
        int hostLength = rule.UnixPath is { } path ? UnixAddress(host, ClaimedPath(path)) : InetAddress(host, rule.HostAddress, rule.HostPort);
        InetAddress(guest, rule.GuestAddress, rule.GuestPort);
        int result;
        fixed (byte* hostAddress = host)
        fixed (byte* guestAddress = guest)
            result = SlirpNative.AddHostForward(slirp, hostAddress, (uint)hostLength, guestAddress, SockAddrInLength, rule.Udp ? SlirpNative.HostForwardUdp : 0);
        if (result < 0)
            throw Refused(id, $"Could not set up host forwarding rule '{rule.Text}'");
    }

    /// <summary>The project's one rule for a path about to be listened on: a stale socket is removed, anything else refused.</summary>
    private static string ClaimedPath(string path)
    {
        Transport.UnixSocketPath.ClaimForListening(path);
        return path;
    }

    private static void AddGuestForward(nint slirp, GuestForwardRule rule, string id)
    {
        uint server = InAddr(rule.Server);
        byte[] target = Encoding.UTF8.GetBytes((rule.Command ?? rule.UnixPath!) + "\0");
        int result;
        fixed (byte* text = target)
        {
            result = rule.Command is not null
                ? SlirpNative.AddExec(slirp, text, &server, rule.Port)
                : SlirpNative.AddUnix(slirp, text, &server, rule.Port);
        }

        if (result < 0)
            throw Refused(id, $"Conflicting/invalid host:port in guest forwarding rule '{rule.Text}'");
    }

    /// <summary>A forward libslirp refused, in QEMU's words alone (as QEMU's netdev_add reports it).</summary>
    private static EngineException Refused(string id, string message) =>
        new(ErrorIds.NetdevOpenFailed, EngineErrorCategory.IoError, message) { Target = id };

    /// <summary>A struct sockaddr_in; returns its length.</summary>
    private static int InetAddress(Span<byte> buffer, uint address, int port)
    {
        buffer[..SockAddrInLength].Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(buffer, AddressFamilyInet);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)port);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], address);
        return SockAddrInLength;
    }

    /// <summary>A struct sockaddr_un; returns its length.</summary>
    private static int UnixAddress(Span<byte> buffer, string path)
    {
        buffer[..SockAddrUnLength].Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(buffer, AddressFamilyUnix);
        Encoding.UTF8.GetBytes(path, buffer[2..]);
        return SockAddrUnLength;
    }

    /// <summary>An in_addr: the address in network byte order.</summary>
    private static uint InAddr(uint hostOrder) => (uint)IPAddress.HostToNetworkOrder((int)hostOrder);
}
