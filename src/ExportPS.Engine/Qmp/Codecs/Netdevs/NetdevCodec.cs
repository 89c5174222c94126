using System.Text.Json;
using System.Text.Json.Nodes;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qapi;

namespace ExportPS.Engine.Qmp.Codecs;

/// <summary>
/// netdev_add's arguments (the type's members flat beside type and id, as QEMU takes them), and an entry of
/// x-query-netdevs, ExportPS's query (QEMU 7.2 has no query of netdevs).
/// </summary>
internal static class NetdevCodec
{
    public const string QueryCommand = "x-query-netdevs";

    public static JsonObject WriteAdd(NetdevOptions options)
    {
        var args = new JsonObject { ["type"] = options.Type, ["id"] = options.Id };
        QmpMembers.SetIf(args, NetdevOptionsReader.PeerKey, options.Peer);
        switch (options)
        {
            case SocketNetdevOptions socket:
                QmpMembers.SetIf(args, "fd", socket.Fd);
                QmpMembers.SetIf(args, "listen", socket.Listen);
                QmpMembers.SetIf(args, "connect", socket.Connect);
                QmpMembers.SetIf(args, "mcast", socket.Mcast);
                QmpMembers.SetIf(args, "localaddr", socket.LocalAddr);
                QmpMembers.SetIf(args, "udp", socket.Udp);
                break;
            case StreamNetdevOptions stream:
                args["addr"] = WriteAddress(stream.Address);
                args["server"] = stream.Server;
                if (stream.Reconnect > 0)
                    args["reconnect"] = stream.Reconnect;
                break;
            case DgramNetdevOptions dgram:
                args["local"] = WriteAddress(dgram.Local);
                args["remote"] = WriteAddress(dgram.Remote);
                break;
            case TapNetdevOptions tap:
                WriteTap(args, tap);
                break;
            case L2tpv3NetdevOptions l2tpv3:
                WriteL2tpv3(args, l2tpv3);
                break;
            case VdeNetdevOptions vde:
                QmpMembers.SetIf(args, "sock", vde.Sock);
                SetIf(args, "port", vde.Port);
                QmpMembers.SetIf(args, "group", vde.Group);
                SetIf(args, "mode", vde.Mode);
                break;
            case BridgeNetdevOptions bridge:
                QmpMembers.SetIf(args, "br", bridge.Br);
                QmpMembers.SetIf(args, "helper", bridge.Helper);
                break;
            case UserNetdevOptions user:
                WriteUser(args, user);
                break;
            case VhostUserNetdevOptions vhostUser:
                args["chardev"] = vhostUser.Chardev;
                SetIf(args, "vhostforce", vhostUser.VhostForce);
                SetIf(args, "queues", vhostUser.Queues);
                QmpMembers.SetIf(args, NetdevOptionsReader.SocketPathKey, vhostUser.SocketPath);
                break;
            case HubportNetdevOptions hubport:
                args["hubid"] = hubport.HubId;
                QmpMembers.SetIf(args, "netdev", hubport.Netdev);
                break;
        }

        return args;
    }

    private static void WriteTap(JsonObject args, TapNetdevOptions tap)
    {
        QmpMembers.SetIf(args, "ifname", tap.IfName);
        QmpMembers.SetIf(args, "fd", tap.Fd);
        QmpMembers.SetIf(args, "fds", tap.Fds);
        QmpMembers.SetIf(args, "script", tap.Script);
        QmpMembers.SetIf(args, "downscript", tap.DownScript);
        QmpMembers.SetIf(args, "br", tap.Br);
        QmpMembers.SetIf(args, "helper", tap.Helper);
        SetIf(args, "sndbuf", tap.SndBuf);
        SetIf(args, "vnet_hdr", tap.VnetHdr);
        SetIf(args, "vhost", tap.Vhost);
        QmpMembers.SetIf(args, "vhostfd", tap.VhostFd);
        QmpMembers.SetIf(args, "vhostfds", tap.VhostFds);
        SetIf(args, "vhostforce", tap.VhostForce);
        SetIf(args, "queues", tap.Queues);
        SetIf(args, "poll-us", tap.PollUs);
    }

    /// <summary>NetdevUserOptions; the lists are of QAPI's String ({"str": ...}).</summary>
    private static void WriteUser(JsonObject args, UserNetdevOptions user)
    {
        QmpMembers.SetIf(args, "hostname", user.Hostname);
        SetIf(args, "restrict", user.Restrict);
        SetIf(args, "ipv4", user.Ipv4);
        SetIf(args, "ipv6", user.Ipv6);
        QmpMembers.SetIf(args, "ip", user.Ip);
        QmpMembers.SetIf(args, "net", user.Net);
        QmpMembers.SetIf(args, "host", user.Host);
        QmpMembers.SetIf(args, "tftp", user.Tftp);
        QmpMembers.SetIf(args, "bootfile", user.Bootfile);
        QmpMembers.SetIf(args, "dhcpstart", user.DhcpStart);
        QmpMembers.SetIf(args, "dns", user.Dns);
        SetStringList(args, "dnssearch", user.DnsSearch);
        QmpMembers.SetIf(args, "domainname", user.DomainName);
        QmpMembers.SetIf(args, "ipv6-prefix", user.Ipv6Prefix);
        SetIf(args, "ipv6-prefixlen", user.Ipv6PrefixLen);
        QmpMembers.SetIf(args, "ipv6-host", user.Ipv6Host);
        QmpMembers.SetIf(args, "ipv6-dns", user.Ipv6Dns);
        QmpMembers.SetIf(args, "smb", user.Smb);
        QmpMembers.SetIf(args, "smbserver", user.SmbServer);
        SetStringList(args, "hostfwd", user.HostFwd);
        SetStringList(args, "guestfwd", user.GuestFwd);
        QmpMembers.SetIf(args, "tftp-server-name", user.TftpServerName);
    }

    private static void SetStringList(JsonObject args, string name, IReadOnlyList<string>? values)
    {
        if (values is not null)
            args[name] = new JsonArray([.. values.Select(value => (JsonNode)new JsonObject { ["str"] = value })]);
    }

    /// <summary>NetdevL2TPv3Options; the ports are strings in QEMU's schema.</summary>
    private static void WriteL2tpv3(JsonObject args, L2tpv3NetdevOptions l2tpv3)
    {
        args["src"] = l2tpv3.Src;
        args["dst"] = l2tpv3.Dst;
        QmpMembers.SetIf(args, "srcport", l2tpv3.SrcPort?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        QmpMembers.SetIf(args, "dstport", l2tpv3.DstPort?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        SetIf(args, "ipv6", l2tpv3.Ipv6);
        SetIf(args, "udp", l2tpv3.Udp);
        SetIf(args, "cookie64", l2tpv3.Cookie64);
        SetIf(args, "counter", l2tpv3.Counter);
        SetIf(args, "pincounter", l2tpv3.PinCounter);
        SetIf(args, "txcookie", l2tpv3.TxCookie);
        SetIf(args, "rxcookie", l2tpv3.RxCookie);
        args["txsession"] = l2tpv3.TxSession;
        SetIf(args, "rxsession", l2tpv3.RxSession);
        SetIf(args, "offset", l2tpv3.Offset);
    }

    private static void SetIf<T>(JsonObject args, string name, T? value) where T : struct
    {
        if (value is { } set)
            args[name] = JsonValue.Create(set);
    }

    /// <summary>The flat SocketAddress of netdev stream and dgram (the port a string, as in QEMU's schema).</summary>
    private static JsonObject WriteAddress(SocketAddressOptions address) => address.Kind == SocketAddressKind.Unix
        ? new JsonObject { ["type"] = "unix", ["path"] = address.Path }
        : new JsonObject { ["type"] = "inet", ["host"] = address.Host, ["port"] = address.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    /// <summary>AnnounceParameters, plus ExportPS's x-mac-addresses.</summary>
    public static JsonObject WriteAnnounce(NetAnnounceOptions options)
    {
        var args = new JsonObject
        {
            ["initial"] = options.Initial,
            ["max"] = options.Max,
            ["rounds"] = options.Rounds,
            ["step"] = options.Step,
            ["interfaces"] = QmpMembers.Strings(options.Interfaces),
            [MacAddresses] = QmpMembers.Strings(options.MacAddresses),
        };
        QmpMembers.SetIf(args, "id", options.Id);
        return args;
    }

    public static NetAnnounceOptions ReadAnnounce(OptionReader args)
    {
        var options = new NetAnnounceOptions
        {
            Initial = args.Int64("initial") ?? throw args.Missing("initial"),
            Max = args.Int64("max") ?? throw args.Missing("max"),
            Rounds = args.Int64("rounds") ?? throw args.Missing("rounds"),
            Step = args.Int64("step") ?? throw args.Missing("step"),
            Interfaces = args.List("interfaces", "str", name => name, fromObject: null) ?? [],
            MacAddresses = args.List(MacAddresses, "str", mac => mac, fromObject: null) ?? [],
            Id = args.String("id"),
        };
        args.RejectUnexpected();
        return options;
    }

    private const string MacAddresses = "x-mac-addresses";

    public static JsonObject WriteInfo(NetdevInfo info)
    {
        var entry = new JsonObject
        {
            ["id"] = info.Id,
            ["type"] = info.Type,
            ["options"] = info.Options,
            ["arguments"] = JsonNode.Parse(info.Arguments),
            ["up"] = info.LinkUp,
            ["connected"] = info.Connected,
        };
        QmpMembers.SetIf(entry, "hub", info.Hub);
        QmpMembers.SetIf(entry, "peer", info.Peer);
        QmpMembers.SetIf(entry, "x-failure", info.Failure);
        QmpMembers.SetIf(entry, "x-virtqueue-completions", info.VirtqueueCompletions);
        foreach (var (name, value) in Counters(info))
            entry[name] = value;
        return entry;
    }

    public static NetdevInfo ReadInfo(JsonElement entry)
    {
        long Counter(string name) => entry.TryGetProperty(name, out var value) ? value.GetInt64() : 0;
        return new NetdevInfo
        {
            Id = entry.GetProperty("id").GetString()!,
            Type = entry.GetProperty("type").GetString()!,
            Options = QmpMembers.String(entry, "options") ?? "",
            Arguments = entry.GetProperty("arguments").GetRawText(),
            Hub = entry.TryGetProperty("hub", out var hub) ? hub.GetInt32() : null,
            Peer = QmpMembers.String(entry, "peer"),
            LinkUp = QmpMembers.Bool(entry, "up"),
            Connected = QmpMembers.Bool(entry, "connected"),
            Failure = QmpMembers.String(entry, "x-failure"),
            VirtqueueCompletions = QmpMembers.String(entry, "x-virtqueue-completions"),
            ReceivedFrames = Counter("rx-frames"),
            ReceivedBytes = Counter("rx-bytes"),
            ReceivedDropped = Counter("rx-dropped"),
            ReceivedDroppedLinkDown = Counter("rx-dropped-link-down"),
            ReceivedDroppedNoPeer = Counter("rx-dropped-no-peer"),
            ReceivedDroppedOversize = Counter("rx-dropped-oversize"),
            ReceivedDroppedMalformed = Counter("rx-dropped-malformed"),
            ReceivedDroppedQueueFull = Counter("rx-dropped-queue-full"),
            SentFrames = Counter("tx-frames"),
            SentBytes = Counter("tx-bytes"),
            SentDropped = Counter("tx-dropped"),
            SentDroppedLinkDown = Counter("tx-dropped-link-down"),
            SentDroppedNoPeer = Counter("tx-dropped-no-peer"),
            SentDroppedOversize = Counter("tx-dropped-oversize"),
            SentDroppedMalformed = Counter("tx-dropped-malformed"),
            SentDroppedQueueFull = Counter("tx-dropped-queue-full"),
        };
    }

    private static (string Name, long Value)[] Counters(NetdevInfo info) =>
    [
        ("rx-frames", info.ReceivedFrames),
        ("rx-bytes", info.ReceivedBytes),
        ("rx-dropped", info.ReceivedDropped),
        ("rx-dropped-link-down", info.ReceivedDroppedLinkDown),
        ("rx-dropped-no-peer", info.ReceivedDroppedNoPeer),
        ("rx-dropped-oversize", info.ReceivedDroppedOversize),
        ("rx-dropped-malformed", info.ReceivedDroppedMalformed),
        ("rx-dropped-queue-full", info.ReceivedDroppedQueueFull),
        ("tx-frames", info.SentFrames),
        ("tx-bytes", info.SentBytes),
        ("tx-dropped", info.SentDropped),
        ("tx-dropped-link-down", info.SentDroppedLinkDown),
        ("tx-dropped-no-peer", info.SentDroppedNoPeer),
        ("tx-dropped-oversize", info.SentDroppedOversize),
        ("tx-dropped-malformed", info.SentDroppedMalformed),
        ("tx-dropped-queue-full", info.SentDroppedQueueFull),
    ];
}
