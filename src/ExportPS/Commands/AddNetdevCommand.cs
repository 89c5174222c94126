using System.Management.Automation;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>
/// netdev_add. One parameter set per type (stream, dgram, hubport), and one per mode of the socket type, whose
/// listen/connect/udp/mcast/fd options exclude each other; the set's mandatory parameter picks it.
/// </summary>
[Cmdlet(VerbsCommon.Add, "Netdev", SupportsShouldProcess = true, DefaultParameterSetName = StreamSet)]
[OutputType(typeof(NetdevInfo))]
public sealed class AddNetdevCommand : EngineCommand
{
    private const string StreamSet = "Stream";
    private const string DgramSet = "Dgram";
    private const string HubPortSet = "HubPort";
    private const string SocketListenSet = "SocketListen";
    private const string SocketConnectSet = "SocketConnect";
    private const string SocketUdpSet = "SocketUdp";
    private const string SocketMcastSet = "SocketMcast";
    private const string SocketFdSet = "SocketFd";

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

    /// <summary>socket fd=: a connected socket this process already has.</summary>
    [Parameter(Mandatory = true, ParameterSetName = SocketFdSet)]
    [ValidateNotNullOrEmpty]
    public string Fd { get; set; } = null!;

    /// <summary>x-peer (an ExportPS extension): an existing netdev, without a peer, to peer this one with directly.</summary>
    [Parameter(ParameterSetName = StreamSet)]
    [Parameter(ParameterSetName = DgramSet)]
    [Parameter(ParameterSetName = SocketListenSet)]
    [Parameter(ParameterSetName = SocketConnectSet)]
    [Parameter(ParameterSetName = SocketUdpSet)]
    [Parameter(ParameterSetName = SocketMcastSet)]
    [Parameter(ParameterSetName = SocketFdSet)]
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
