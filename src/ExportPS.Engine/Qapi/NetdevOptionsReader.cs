using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Qapi;

/// <summary>
/// Netdev (netdev_add, --netdev): the base (type, id) and the branch of the type. QMP's netdev_add takes the branch's
/// members flat beside type and id, the command line the same keys (addr.type=unix,addr.path=...), so one reader
/// serves both. Types ExportPS does not run are refused with a NotSupported error that says why.
/// </summary>
internal static class NetdevOptionsReader
{
    public static NetdevOptions Read(OptionReader reader)
    {
        string type = reader.RequireString("type");
        string id = reader.RequireString("id");
        NetdevOptions options = type switch
        {
            SocketNetdevOptions.TypeName => new SocketNetdevOptions
            {
                Id = id,
                Fd = reader.String("fd"),
                Listen = reader.String("listen"),
                Connect = reader.String("connect"),
                Mcast = reader.String("mcast"),
                LocalAddr = reader.String("localaddr"),
                Udp = reader.String("udp"),
            },
            StreamNetdevOptions.TypeName => new StreamNetdevOptions
            {
                Id = id,
                Address = ReadAddress(reader, "addr"),
                Server = reader.Bool("server") ?? false,
                Reconnect = (int)(reader.UInt32("reconnect") ?? 0),
            },
            DgramNetdevOptions.TypeName => new DgramNetdevOptions
            {
                Id = id,
                Local = ReadAddress(reader, "local"),
                Remote = ReadAddress(reader, "remote"),
            },
            HubportNetdevOptions.TypeName => new HubportNetdevOptions
            {
                Id = id,
                HubId = ReadHubId(reader),
                Netdev = reader.String("netdev"),
            },
            TapNetdevOptions.TypeName => ReadTap(reader, id),
            L2tpv3NetdevOptions.TypeName => ReadL2tpv3(reader, id),
            VdeNetdevOptions.TypeName => ReadVde(reader, id),
            BridgeNetdevOptions.TypeName => new BridgeNetdevOptions { Id = id, Br = reader.String("br"), Helper = reader.String("helper") },
            UserNetdevOptions.TypeName => ReadUser(reader, id),
            VhostUserNetdevOptions.TypeName => new VhostUserNetdevOptions
            {
                Id = id,
                Chardev = reader.RequireString("chardev"),
                VhostForce = reader.Bool("vhostforce"),
                Queues = reader.UInt32("queues"),
                SocketPath = reader.String(SocketPathKey),
            },
            "netmap" => throw Netmap(reader),
            _ => throw reader.NotAccepted("type", type),
        };
        if (options is not HubportNetdevOptions)
            options = options with { Peer = reader.String(PeerKey) };
        reader.RejectUnexpected();
        return options;
    }

    /// <summary>The vhost-user socket's path, in place of a chardev object (see <see cref="VhostUserNetdevOptions.SocketPath"/>).</summary>
    public const string SocketPathKey = "x-socket-path";

    /// <summary>The member that peers a new netdev directly with another (see <see cref="NetdevOptions.Peer"/>).</summary>
    public const string PeerKey = "x-peer";

    private static TapNetdevOptions ReadTap(OptionReader reader, string id) => new()
    {
        Id = id,
        IfName = reader.String("ifname"),
        Fd = reader.String("fd"),
        Fds = reader.String("fds"),
        Script = reader.String("script"),
        DownScript = reader.String("downscript"),
        Br = reader.String("br"),
        Helper = reader.String("helper"),
        SndBuf = reader.Size("sndbuf"),
        VnetHdr = reader.Bool("vnet_hdr"),
        Vhost = reader.Bool("vhost"),
        VhostFd = reader.String("vhostfd"),
        VhostFds = reader.String("vhostfds"),
        VhostForce = reader.Bool("vhostforce"),
        Queues = reader.UInt32("queues"),
        PollUs = reader.UInt32("poll-us"),
    };

    private static UserNetdevOptions ReadUser(OptionReader reader, string id) => new()
    {
        Id = id,
        Hostname = reader.String("hostname"),
        Restrict = reader.Bool("restrict"),
        Ipv4 = reader.Bool("ipv4"),
        Ipv6 = reader.Bool("ipv6"),
        Ip = reader.String("ip"),
        Net = reader.String("net"),
        Host = reader.String("host"),
        Tftp = reader.String("tftp"),
        Bootfile = reader.String("bootfile"),
        DhcpStart = reader.String("dhcpstart"),
        Dns = reader.String("dns"),
        DnsSearch = reader.StringList("dnssearch"),
        DomainName = reader.String("domainname"),
        Ipv6Prefix = reader.String("ipv6-prefix"),
        Ipv6PrefixLen = reader.Int64("ipv6-prefixlen"),
        Ipv6Host = reader.String("ipv6-host"),
        Ipv6Dns = reader.String("ipv6-dns"),
        Smb = reader.String("smb"),
        SmbServer = reader.String("smbserver"),
        HostFwd = reader.StringList("hostfwd"),
        GuestFwd = reader.StringList("guestfwd"),
        TftpServerName = reader.String("tftp-server-name"),
    };

    private static L2tpv3NetdevOptions ReadL2tpv3(OptionReader reader, string id) => new()
    {
        Id = id,
        Src = reader.RequireString("src"),
        Dst = reader.RequireString("dst"),
        SrcPort = reader.Port("srcport"),
        DstPort = reader.Port("dstport"),
        Ipv6 = reader.Bool("ipv6"),
        Udp = reader.Bool("udp"),
        Cookie64 = reader.Bool("cookie64"),
        Counter = reader.Bool("counter"),
        PinCounter = reader.Bool("pincounter"),
        TxCookie = reader.UInt64("txcookie"),
        RxCookie = reader.UInt64("rxcookie"),
        TxSession = reader.UInt32("txsession") ?? throw reader.Missing("txsession"),
        RxSession = reader.UInt32("rxsession"),
        Offset = reader.UInt32("offset"),
    };

    private static VdeNetdevOptions ReadVde(OptionReader reader, string id) => new()
    {
        Id = id,
        Sock = reader.String("sock"),
        Port = reader.UInt16("port"),
        Group = reader.String("group"),
        Mode = reader.FileMode("mode"),
    };

    private static SocketAddressOptions ReadAddress(OptionReader reader, string key) =>
        OptionReader.ReadAll(reader.RequireObject(key), addr => NbdServerOptionsReader.ReadAddress(addr, legacy: false));

    private static int ReadHubId(OptionReader reader)
    {
        long hubId = reader.Int64("hubid") ?? throw reader.Missing("hubid");
        return hubId is < int.MinValue or > int.MaxValue ? throw OptionReader.Error("Parameter 'hubid' expects int32_t") : (int)hubId;
    }

    /// <summary>netmap's options are checked, then refused: it needs the netmap kernel module.</summary>
    private static EngineException Netmap(OptionReader reader)
    {
        reader.RequireString("ifname");
        reader.String("devname");
        reader.RejectUnexpected();
        return NotSupported("Netdev type 'netmap' needs the netmap kernel module (/dev/netmap), which this Linux kernel does not have");
    }

    private static EngineException NotSupported(string message) =>
        new(ErrorIds.NetdevTypeNotSupported, EngineErrorCategory.NotSupported, message);
}
