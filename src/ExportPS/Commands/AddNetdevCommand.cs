using System.Management.Automation;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>
/// netdev_add. One parameter set per type (stream, dgram, hubport, tap, l2tpv3, vde, bridge, vhost-user, user), and one per mode of the socket type,
/// whose listen/connect/udp/mcast/fd options exclude each other; the set's mandatory parameter picks it. The tap set's
/// ways of getting the interface (new, -Fd, -Fds, -Helper) are told apart by the engine, with QEMU's errors.
/// </summary>
[Cmdlet(VerbsCommon.Add, "Netdev", SupportsShouldProcess = true, DefaultParameterSetName = StreamSet)]
[OutputType(typeof(NetdevInfo))]
public sealed partial class AddNetdevCommand : EngineCommand
{
    private const string StreamSet = "Stream";
    private const string DgramSet = "Dgram";
    private const string HubPortSet = "HubPort";
    private const string SocketListenSet = "SocketListen";
    private const string SocketConnectSet = "SocketConnect";
    private const string SocketUdpSet = "SocketUdp";
    private const string SocketMcastSet = "SocketMcast";
    private const string SocketFdSet = "SocketFd";
    private const string TapSet = "Tap";
    private const string L2tpv3Set = "L2tpv3";
    private const string VhostUserSet = "VhostUser";
    private const string UserSet = "User";

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Id { get; set; } = null!;

    /// <summary>stream: "unix:PATH" or "HOST:PORT".</summary>
    [Parameter(Mandatory = true, ParameterSetName = StreamSet)]
    [ValidateNotNullOrEmpty]
    public string Address { get; set; } = null!;

    /// <summary>stream: listen on the address for one peer at a time (otherwise connect to it).</summary>
    [Parameter(ParameterSetName = StreamSet)]
    public SwitchParameter Server { get; set; }

    /// <summary>stream client: seconds between attempts to connect again after a loss (0: none).</summary>
    [Parameter(ParameterSetName = StreamSet)]
    [ValidateRange(0, int.MaxValue)]
    public int Reconnect { get; set; }

    /// <summary>dgram: the address bound ("unix:PATH" or "HOST:PORT").</summary>
    [Parameter(Mandatory = true, ParameterSetName = DgramSet)]
    [ValidateNotNullOrEmpty]
    public string Local { get; set; } = null!;

    /// <summary>dgram: where frames are sent ("unix:PATH" or "HOST:PORT").</summary>
    [Parameter(Mandatory = true, ParameterSetName = DgramSet)]
    [ValidateNotNullOrEmpty]
    public string Remote { get; set; } = null!;

    [Parameter(Mandatory = true, ParameterSetName = HubPortSet)]
    public int HubId { get; set; }

    /// <summary>hubport: the netdev to peer the port with.</summary>
    [Parameter(ParameterSetName = HubPortSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NetdevIdCompleter))]
    public string? Netdev { get; set; }

    /// <summary>socket listen=: "HOST:PORT" to take one TCP peer at a time on.</summary>
    [Parameter(Mandatory = true, ParameterSetName = SocketListenSet)]
    [ValidateNotNullOrEmpty]
    public string Listen { get; set; } = null!;

    /// <summary>socket connect=: "HOST:PORT" of a TCP peer.</summary>
    [Parameter(Mandatory = true, ParameterSetName = SocketConnectSet)]
    [ValidateNotNullOrEmpty]
    public string Connect { get; set; } = null!;

    /// <summary>socket udp=: "HOST:PORT" datagrams are sent to.</summary>
    [Parameter(Mandatory = true, ParameterSetName = SocketUdpSet)]
    [ValidateNotNullOrEmpty]
    public string Udp { get; set; } = null!;

    /// <summary>socket mcast=: "GROUP:PORT" of a multicast group.</summary>
    [Parameter(Mandatory = true, ParameterSetName = SocketMcastSet)]
    [ValidateNotNullOrEmpty]
    public string Mcast { get; set; } = null!;

    /// <summary>socket localaddr=: "HOST:PORT" bound for udp (mandatory there); the interface address for mcast.</summary>
    [Parameter(Mandatory = true, ParameterSetName = SocketUdpSet)]
    [Parameter(ParameterSetName = SocketMcastSet)]
    [ValidateNotNullOrEmpty]
    public string? LocalAddr { get; set; }

    /// <summary>socket fd=: a connected socket this process already has; tap fd=: an open tap descriptor.</summary>
    [Parameter(Mandatory = true, ParameterSetName = SocketFdSet)]
    [Parameter(ParameterSetName = TapSet)]
    [ValidateNotNullOrEmpty]
    public string Fd { get; set; } = null!;

    /// <summary>A tap netdev (QEMU's tap type).</summary>
    [Parameter(Mandatory = true, ParameterSetName = TapSet)]
    public SwitchParameter Tap { get; set; }

    /// <summary>tap ifname=: the interface to create or attach to (default: the kernel's next tapN).</summary>
    [Parameter(ParameterSetName = TapSet)]
    [ValidateLength(1, 15)]
    public string? IfName { get; set; }

    /// <summary>tap fds=: open descriptors of the queues of one multiqueue tap.</summary>
    [Parameter(ParameterSetName = TapSet)]
    [ValidateNotNullOrEmpty]
    public string[]? Fds { get; set; }

    /// <summary>
    /// tap queues=: how many queues to open on the interface (multiqueue when over 1); vhost-user queues=: the queue
    /// pairs offered to the front-end. The engine checks each type's limit.
    /// </summary>
    [Parameter(ParameterSetName = TapSet)]
    [Parameter(ParameterSetName = VhostUserSet)]
    [ValidateRange(1u, (uint)VhostUserNetdevOptions.MaxQueues)]
    public uint Queues { get; set; }

    /// <summary>tap vnet_hdr=on: the tap carries a virtio-net header, which ExportPS strips and adds.</summary>
    [Parameter(ParameterSetName = TapSet)]
    public SwitchParameter VnetHdr { get; set; }

    /// <summary>tap script=: run with the interface name once it exists.</summary>
    [Parameter(ParameterSetName = TapSet)]
    [ValidateNotNullOrEmpty]
    public string? Script { get; set; }

    /// <summary>tap downscript=: run with the interface name when the netdev is removed.</summary>
    [Parameter(ParameterSetName = TapSet)]
    [ValidateNotNullOrEmpty]
    public string? DownScript { get; set; }

    /// <summary>tap and bridge helper=: the bridge helper that opens the tap (Debian's: /usr/lib/qemu/qemu-bridge-helper).</summary>
    [Parameter(ParameterSetName = TapSet)]
    [Parameter(ParameterSetName = BridgeSet)]
    [ValidateNotNullOrEmpty]
    public string? Helper { get; set; }

    /// <summary>tap br= (default br0), and the bridge netdev's br=, which picks the Bridge set: the bridge the helper attaches the tap to.</summary>
    [Parameter(ParameterSetName = TapSet)]
    [Parameter(Mandatory = true, ParameterSetName = BridgeSet)]
    [Alias("Br")]
    [ValidateNotNullOrEmpty]
    public string? Bridge { get; set; }

    /// <summary>tap sndbuf=: the tap's send buffer limit in bytes.</summary>
    [Parameter(ParameterSetName = TapSet)]
    [Alias("SndBuf")]
    [ValidateRange(1L, long.MaxValue)]
    public long SendBuffer { get; set; }

    /// <summary>l2tpv3 src=: the local address of the tunnel.</summary>
    [Parameter(Mandatory = true, ParameterSetName = L2tpv3Set)]
    [ValidateNotNullOrEmpty]
    public string Src { get; set; } = null!;

    /// <summary>l2tpv3 dst=: the far end's address.</summary>
    [Parameter(Mandatory = true, ParameterSetName = L2tpv3Set)]
    [ValidateNotNullOrEmpty]
    public string Dst { get; set; } = null!;

    /// <summary>l2tpv3 txsession=: the session id written on sent packets.</summary>
    [Parameter(Mandatory = true, ParameterSetName = L2tpv3Set)]
    public uint TxSession { get; set; }

    /// <summary>l2tpv3 rxsession=: the session id received packets must have (default: -TxSession).</summary>
    [Parameter(ParameterSetName = L2tpv3Set)]
    public uint RxSession { get; set; }

    /// <summary>l2tpv3 udp=on: UDP encapsulation between -SrcPort and -DstPort instead of raw IP protocol 115.</summary>
    [Parameter(ParameterSetName = L2tpv3Set)]
    public SwitchParameter UdpEncapsulation { get; set; }

    /// <summary>l2tpv3 srcport=: the local UDP port.</summary>
    [Parameter(ParameterSetName = L2tpv3Set)]
    [ValidateRange(0, 65535)]
    public int SrcPort { get; set; }

    /// <summary>l2tpv3 dstport=: the far end's UDP port.</summary>
    [Parameter(ParameterSetName = L2tpv3Set)]
    [ValidateRange(0, 65535)]
    public int DstPort { get; set; }

    /// <summary>l2tpv3 ipv6=on: the addresses are IPv6. user ipv6=: IPv6 on the virtual network (-Ipv6:$false turns it off).</summary>
    [Parameter(ParameterSetName = L2tpv3Set)]
    [Parameter(ParameterSetName = UserSet)]
    public SwitchParameter Ipv6 { get; set; }

    /// <summary>l2tpv3 txcookie=: the cookie written on sent packets (with -RxCookie).</summary>
    [Parameter(ParameterSetName = L2tpv3Set)]
    public ulong TxCookie { get; set; }

    /// <summary>l2tpv3 rxcookie=: the cookie received packets must have (with -TxCookie).</summary>
    [Parameter(ParameterSetName = L2tpv3Set)]
    public ulong RxCookie { get; set; }

    /// <summary>l2tpv3 cookie64=on: the cookies are 64 bits (otherwise 32).</summary>
    [Parameter(ParameterSetName = L2tpv3Set)]
    public SwitchParameter Cookie64 { get; set; }

    /// <summary>l2tpv3 counter=on: a 32-bit sequence counter after the cookie.</summary>
    [Parameter(ParameterSetName = L2tpv3Set)]
    public SwitchParameter Counter { get; set; }

    /// <summary>l2tpv3 pincounter=on: the counter is always written as 0.</summary>
    [Parameter(ParameterSetName = L2tpv3Set)]
    public SwitchParameter PinCounter { get; set; }

    /// <summary>l2tpv3 offset=: bytes of padding between the header and the frame.</summary>
    [Parameter(ParameterSetName = L2tpv3Set)]
    [ValidateRange(0u, L2tpv3NetdevOptions.MaxOffset)]
    public uint Offset { get; set; }

    /// <summary>A vhost-user netdev: ExportPS is the vhost-user-net back-end a guest's QEMU connects to.</summary>
    [Parameter(Mandatory = true, ParameterSetName = VhostUserSet)]
    public SwitchParameter VhostUser { get; set; }

    /// <summary>vhost-user: the unix socket to listen on (x-socket-path; QEMU names it through a chardev, here the netdev's id).</summary>
    [Parameter(Mandatory = true, ParameterSetName = VhostUserSet)]
    [ValidateNotNullOrEmpty]
    public string SocketPath { get; set; } = null!;

    /// <summary>A user netdev (QEMU's user-mode network stack, libslirp): a virtual network behind a NAT.</summary>
    [Parameter(Mandatory = true, ParameterSetName = UserSet)]
    public SwitchParameter User { get; set; }

    /// <summary>user net=: the guest network, ADDR[/BITS or /MASK] (default 10.0.2.0/24).</summary>
    [Parameter(ParameterSetName = UserSet)]
    [ValidateNotNullOrEmpty]
    public string? Net { get; set; }

    /// <summary>user host=: the guest-visible address of the host (the gateway, default .2); PSCmdlet has a Host of its own.</summary>
    [Parameter(ParameterSetName = UserSet)]
    [Alias("Host")]
    [ValidateNotNullOrEmpty]
    public string? HostAddress { get; set; }

    /// <summary>user dhcpstart=: the first of the 16 addresses the DHCP server hands out (default .15).</summary>
    [Parameter(ParameterSetName = UserSet)]
    [ValidateNotNullOrEmpty]
    public string? DhcpStart { get; set; }

    /// <summary>user dns=: the guest-visible address of the DNS forwarder (default .3).</summary>
    [Parameter(ParameterSetName = UserSet)]
    [ValidateNotNullOrEmpty]
    public string? Dns { get; set; }

    /// <summary>user dnssearch=: DNS suffixes the DHCP server hands out.</summary>
    [Parameter(ParameterSetName = UserSet)]
    [ValidateNotNullOrEmpty]
    public string[]? DnsSearch { get; set; }

    /// <summary>user domainname=: the domain name the DHCP server hands out.</summary>
    [Parameter(ParameterSetName = UserSet)]
    [ValidateNotNullOrEmpty]
    public string? DomainName { get; set; }

    /// <summary>user hostname=: the client hostname the DHCP server hands out.</summary>
    [Parameter(ParameterSetName = UserSet)]
    [ValidateNotNullOrEmpty]
    public string? Hostname { get; set; }

    /// <summary>user restrict=on: no connection leaves the virtual network except through the forwards.</summary>
    [Parameter(ParameterSetName = UserSet)]
    public SwitchParameter Restrict { get; set; }

    /// <summary>user ipv4=: IPv4 on the virtual network (-Ipv4:$false turns it off).</summary>
    [Parameter(ParameterSetName = UserSet)]
    public SwitchParameter Ipv4 { get; set; }

    /// <summary>user hostfwd=: host forwards, each [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT or unix:PATH-[GUESTADDR]:GUESTPORT.</summary>
    [Parameter(ParameterSetName = UserSet)]
    [Alias("HostFwd")]
    [ValidateNotNullOrEmpty]
    public string[]? HostForward { get; set; }

    /// <summary>user guestfwd=: guest forwards, each [tcp]:[SERVER]:PORT-cmd:COMMAND or [tcp]:[SERVER]:PORT-unix:PATH.</summary>
    [Parameter(ParameterSetName = UserSet)]
    [Alias("GuestFwd")]
    [ValidateNotNullOrEmpty]
    public string[]? GuestForward { get; set; }

    /// <summary>user tftp=: the root directory of the built-in TFTP server.</summary>
    [Parameter(ParameterSetName = UserSet)]
    [ValidateNotNullOrEmpty]
    public string? Tftp { get; set; }

    /// <summary>user bootfile=: the BOOTP file name, for PXE boot from -Tftp.</summary>
    [Parameter(ParameterSetName = UserSet)]
    [ValidateNotNullOrEmpty]
    public string? BootFile { get; set; }

    /// <summary>user tftp-server-name=: the DHCP "TFTP server name" option.</summary>
    [Parameter(ParameterSetName = UserSet)]
    [ValidateNotNullOrEmpty]
    public string? TftpServerName { get; set; }

    /// <summary>user ipv6-prefix=: the IPv6 prefix of the virtual network (default fec0::).</summary>
    [Parameter(ParameterSetName = UserSet)]
    [ValidateNotNullOrEmpty]
    public string? Ipv6Prefix { get; set; }

    /// <summary>user ipv6-prefixlen=: the length of -Ipv6Prefix (default 64).</summary>
    [Parameter(ParameterSetName = UserSet)]
    [Alias("Ipv6PrefixLen")]
    [ValidateRange(0, 126)]
    public int Ipv6PrefixLength { get; set; }

    /// <summary>user ipv6-host=: the guest-visible IPv6 address of the host.</summary>
    [Parameter(ParameterSetName = UserSet)]
    [ValidateNotNullOrEmpty]
    public string? Ipv6Host { get; set; }

    /// <summary>user ipv6-dns=: the guest-visible IPv6 address of the DNS forwarder.</summary>
    [Parameter(ParameterSetName = UserSet)]
    [ValidateNotNullOrEmpty]
    public string? Ipv6Dns { get; set; }

    /// <summary>x-peer (an ExportPS extension): an existing netdev, without a peer, to peer this one with directly.</summary>
    [Parameter(ParameterSetName = StreamSet)]
    [Parameter(ParameterSetName = DgramSet)]
    [Parameter(ParameterSetName = SocketListenSet)]
    [Parameter(ParameterSetName = SocketConnectSet)]
    [Parameter(ParameterSetName = SocketUdpSet)]
    [Parameter(ParameterSetName = SocketMcastSet)]
    [Parameter(ParameterSetName = SocketFdSet)]
    [Parameter(ParameterSetName = TapSet)]
    [Parameter(ParameterSetName = L2tpv3Set)]
    [Parameter(ParameterSetName = VhostUserSet)]
    [Parameter(ParameterSetName = VdeSet)]
    [Parameter(ParameterSetName = BridgeSet)]
    [Parameter(ParameterSetName = UserSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NetdevIdCompleter))]
    public string? Peer { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void Process()
    {
        NetdevOptions options;
        try
        {
            options = ParameterSetName switch
            {
                StreamSet => new StreamNetdevOptions { Id = Id, Peer = Peer, Address = ParseAddress(Address), Server = Server, Reconnect = Reconnect },
                DgramSet => new DgramNetdevOptions { Id = Id, Peer = Peer, Local = ParseAddress(Local), Remote = ParseAddress(Remote) },
                HubPortSet => new HubportNetdevOptions { Id = Id, HubId = HubId, Netdev = Netdev },
                TapSet => TapOptions(),
                L2tpv3Set => L2tpv3Options(),
                VdeSet => VdeOptions(),
                BridgeSet => new BridgeNetdevOptions { Id = Id, Peer = Peer, Br = Bridge, Helper = Helper },
                UserSet => UserOptions(),
                VhostUserSet => new VhostUserNetdevOptions
                {
                    Id = Id,
                    Peer = Peer,
                    Chardev = Id,
                    Queues = IfBound(Queues),
                    SocketPath = SessionState.Path.GetUnresolvedProviderPathFromPSPath(SocketPath),
                },
                _ => new SocketNetdevOptions
                {
                    Id = Id,
                    Peer = Peer,
                    Listen = ParameterSetName == SocketListenSet ? Listen : null,
                    Connect = ParameterSetName == SocketConnectSet ? Connect : null,
                    Udp = ParameterSetName == SocketUdpSet ? Udp : null,
                    Mcast = ParameterSetName == SocketMcastSet ? Mcast : null,
                    LocalAddr = LocalAddr,
                    Fd = ParameterSetName == SocketFdSet ? Fd : null,
                },
            };
        }
        catch (FormatException e)
        {
            WriteEngineError(new EngineException(ErrorIds.InvalidArgument, EngineErrorCategory.InvalidArgument, e.Message, e), Id);
            return;
        }

        InvokeWithPassThru(Id, $"Add {options.Type} netdev", () => TargetEngine.AddNetdev(options), PassThru);
    }

    private TapNetdevOptions TapOptions() => new()
    {
        Id = Id,
        Peer = Peer,
        IfName = IfName,
        Fd = Fd,
        Fds = Fds is null ? null : string.Join(':', Fds),
        Queues = IfBound(Queues),
        VnetHdr = VnetHdr.IsPresent ? true : null,
        Script = ScriptPath(Script),
        DownScript = ScriptPath(DownScript),
        Helper = Helper,
        Br = Bridge,
        SndBuf = IfBound(SendBuffer),
    };

    /// <summary>An optional value: given, or unset (null) so the engine applies QEMU's default.</summary>
    private T? IfBound<T>(T value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string parameter = "") where T : struct =>
        MyInvocation.BoundParameters.ContainsKey(parameter) ? value : null;

    /// <summary>A script as a PowerShell path; QEMU's "no" (none) stays as it is.</summary>
    private string? ScriptPath(string? script) =>
        script is null or "no" ? script : SessionState.Path.GetUnresolvedProviderPathFromPSPath(script);

    private UserNetdevOptions UserOptions() => new()
    {
        Id = Id,
        Peer = Peer,
        Net = Net,
        Host = HostAddress,
        DhcpStart = DhcpStart,
        Dns = Dns,
        DnsSearch = DnsSearch,
        DomainName = DomainName,
        Hostname = Hostname,
        Restrict = IfBound(Restrict.IsPresent, nameof(Restrict)),
        Ipv4 = IfBound(Ipv4.IsPresent, nameof(Ipv4)),
        Ipv6 = IfBound(Ipv6.IsPresent, nameof(Ipv6)),
        HostFwd = HostForward,
        GuestFwd = GuestForward,
        Tftp = Tftp is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Tftp),
        Bootfile = BootFile,
        TftpServerName = TftpServerName,
        Ipv6Prefix = Ipv6Prefix,
        Ipv6PrefixLen = IfBound(Ipv6PrefixLength),
        Ipv6Host = Ipv6Host,
        Ipv6Dns = Ipv6Dns,
    };

    private L2tpv3NetdevOptions L2tpv3Options() => new()
    {
        Id = Id,
        Peer = Peer,
        Src = Src,
        Dst = Dst,
        TxSession = TxSession,
        RxSession = IfBound(RxSession),
        Udp = UdpEncapsulation.IsPresent ? true : null,
        SrcPort = IfBound(SrcPort),
        DstPort = IfBound(DstPort),
        Ipv6 = Ipv6.IsPresent ? true : null,
        TxCookie = IfBound(TxCookie),
        RxCookie = IfBound(RxCookie),
        Cookie64 = Cookie64.IsPresent ? true : null,
        Counter = Counter.IsPresent ? true : null,
        PinCounter = PinCounter.IsPresent ? true : null,
        Offset = IfBound(Offset),
    };

    /// <summary>"unix:PATH" (a PowerShell path) or "HOST:PORT", as QEMU's legacy address syntax.</summary>
    private SocketAddressOptions ParseAddress(string text)
    {
        if (text.StartsWith("unix:", StringComparison.Ordinal))
            return SocketAddressOptions.Unix(SessionState.Path.GetUnresolvedProviderPathFromPSPath(text["unix:".Length..]));
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), out int port) || port is < 0 or > 65535)
            throw new FormatException($"'{text}' is neither unix:PATH nor HOST:PORT");
        return SocketAddressOptions.Inet(text[..colon].Trim('[', ']'), port);
    }
}
