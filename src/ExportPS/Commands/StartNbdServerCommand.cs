using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>nbd-server-start: on TCP (default 127.0.0.1:10809) or on a unix socket.</summary>
[Cmdlet(VerbsLifecycle.Start, "NbdServer", SupportsShouldProcess = true, DefaultParameterSetName = InetSet)]
[OutputType(typeof(NbdServerInfo))]
public sealed class StartNbdServerCommand : EngineCommand
{
    private const string InetSet = "Inet";
    private const string UnixSet = "Unix";

    [Parameter(Position = 0, ParameterSetName = InetSet)]
    [ValidateNotNullOrEmpty]
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>0 lets the system pick a free port; Get-NbdServer shows the one bound.</summary>
    [Parameter(Position = 1, ParameterSetName = InetSet)]
    public int Port { get; set; } = SocketAddressOptions.DefaultNbdPort;

    [Parameter(Mandatory = true, ParameterSetName = UnixSet)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = null!;

    /// <summary>0 = unlimited; 1 also stops advertising multi-conn.</summary>
    [Parameter]
    public uint MaxConnections { get; set; }

    /// <summary>QEMU's tls-creds: the id of server TLS credentials (New-TlsCredential); clients must then use TLS.</summary>
    [Parameter]
    [Alias("TlsCreds")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TlsCredentialIdCompleter))]
    public string? TlsCredential { get; set; }

    /// <summary>QEMU's tls-authz: the id of an authorization (New-TlsAuthorization), looked up for each connection.</summary>
    [Parameter]
    [Alias("TlsAuthz")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TlsAuthorizationIdCompleter))]
    public string? TlsAuthorization { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void Process()
    {
        var address = ParameterSetName == UnixSet
            ? SocketAddressOptions.Unix(SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path))
            : SocketAddressOptions.Inet(Address, Port);
        var options = new NbdServerOptions
        {
            Address = address,
            MaxConnections = MaxConnections,
            TlsCreds = TlsCredential,
            TlsAuthz = TlsAuthorization,
        };

        InvokeWithPassThru(address.ToString(), "Start NBD server", () => TargetEngine.StartNbdServer(options), PassThru);
    }
}
