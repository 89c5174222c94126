using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>
/// blockdev-add. One parameter set per kind of storage: a file (-Path), a size (the Memory and Null drivers, which take
/// the same parameters, so one set: PowerShell could never tell two apart), another node (-File) or a remote NBD export
/// (-Server, driver Nbd). The engine checks the options the driver needs.
/// </summary>
[Cmdlet(VerbsCommon.New, "BlockNode", SupportsShouldProcess = true, DefaultParameterSetName = SizeSet)]
[OutputType(typeof(BlockNodeInfo))]
public sealed class NewBlockNodeCommand : EngineCommand
{
    private const string FileSet = "File";
    private const string SizeSet = "Size";
    private const string RawSet = "Raw";
    private const string NbdSet = "Nbd";

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string NodeName { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 1)]
    public BlockDriverKind Driver { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = FileSet)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = null!;

    [Parameter(ParameterSetName = FileSet)]
    public SwitchParameter CacheDirect { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = SizeSet)]
    public long Size { get; set; }

    /// <summary>Memory driver only (the engine refuses it for Null).</summary>
    [Parameter(ParameterSetName = SizeSet)]
    public BlockCompression Compression { get; set; }

    /// <summary>Raw: the node the raw format driver passes every request to (QEMU's file).</summary>
    [Parameter(Mandatory = true, ParameterSetName = RawSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string File { get; set; } = null!;

    /// <summary>Nbd: "host:port" (port 10809 when left out), "unix:PATH" or a unix socket path.</summary>
    [Parameter(Mandatory = true, ParameterSetName = NbdSet)]
    [ValidateNotNullOrEmpty]
    public string Server { get; set; } = null!;

    /// <summary>Nbd: the export name (default: the empty name).</summary>
    [Parameter(ParameterSetName = NbdSet)]
    public string? Export { get; set; }

    /// <summary>Nbd: id of tls-creds with a client endpoint (New-TlsCredential); the connection upgrades with STARTTLS.</summary>
    [Parameter(ParameterSetName = NbdSet)]
    [ValidateNotNullOrEmpty]
    public string? TlsCredential { get; set; }

    /// <summary>Nbd: the name the server certificate must carry (default: the host of -Server).</summary>
    [Parameter(ParameterSetName = NbdSet)]
    [ValidateNotNullOrEmpty]
    public string? TlsHostname { get; set; }

    /// <summary>Nbd: seconds requests wait for a lost connection to come back before they fail.</summary>
    [Parameter(ParameterSetName = NbdSet)]
    public uint ReconnectDelay { get; set; }

    /// <summary>Nbd: seconds the first connection is retried for.</summary>
    [Parameter(ParameterSetName = NbdSet)]
    public uint OpenTimeout { get; set; }

    /// <summary>Nbd: a metadata context (such as qemu:dirty-bitmap:NAME) queried for block status in place of base:allocation.</summary>
    [Parameter(ParameterSetName = NbdSet)]
    [ValidateNotNullOrEmpty]
    public string? XDirtyBitmap { get; set; }

    /// <summary>Nbd: connections to open when the server advertises multi-conn (requests are spread over them).</summary>
    [Parameter(ParameterSetName = NbdSet)]
    [ValidateRange(1u, BlockNodeOptions.MaxMultiConn)]
    public uint MultiConn { get; set; } = 1;

    [Parameter]
    public SwitchParameter ReadOnly { get; set; }

    /// <summary>QEMU's discard: Ignore (the default) makes a trim do nothing; Unmap deallocates.</summary>
    [Parameter]
    public BlockDiscardMode Discard { get; set; }

    /// <summary>QEMU's detect-zeroes: all-zero writes become write-zeroes requests (Unmap needs -Discard Unmap).</summary>
    [Parameter]
    public BlockDetectZeroes DetectZeroes { get; set; }

    /// <summary>QEMU's cache.no-flush: flushes succeed without making anything durable.</summary>
    [Parameter]
    public SwitchParameter NoFlush { get; set; }

    /// <summary>QEMU's force-share; only with -ReadOnly.</summary>
    [Parameter]
    public SwitchParameter ForceShare { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string? Backing { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void Process()
    {
        var options = new BlockNodeOptions
        {
            NodeName = NodeName,
            Driver = Driver,
            // A relative path means relative to the current PowerShell location, not the process directory.
            Path = Path is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path),
            File = File,
            Size = ParameterSetName == SizeSet ? Size : null,
            Compression = Compression,
            CacheDirect = CacheDirect,
            ReadOnly = ReadOnly,
            Backing = Backing,
            Discard = Discard,
            DetectZeroes = DetectZeroes,
            NoFlush = NoFlush,
            ForceShare = ForceShare,
            Server = ParameterSetName == NbdSet ? ServerAddress() : null,
            Export = Export,
            TlsCreds = TlsCredential,
            TlsHostname = TlsHostname,
            ReconnectDelay = ReconnectDelay,
            OpenTimeout = OpenTimeout,
            XDirtyBitmap = XDirtyBitmap,
            XMultiConn = MultiConn,
        };

        InvokeWithPassThru(NodeName, $"Create {Driver} block node", () => TargetEngine.AddBlockNode(options), PassThru);
    }

    /// <summary>-Server: a unix socket ("unix:PATH", or anything with a slash, as a PowerShell path) or "host:port".</summary>
    private SocketAddressOptions ServerAddress()
    {
        string text = Server.StartsWith("unix:", StringComparison.Ordinal) ? Server["unix:".Length..] : Server;
        if (text != Server || text.Contains('/') || text.Contains('\\'))
        {
            return SocketAddressOptions.Unix(SessionState.Path.GetUnresolvedProviderPathFromPSPath(text));
        }

        int colon = text.LastIndexOf(':');
        bool hasPort = colon > 0 && !text.EndsWith(']') && text.IndexOf(':') == colon || text.StartsWith('[') && colon > text.IndexOf(']');
        if (!hasPort)
        {
            return SocketAddressOptions.Inet(text.Trim('[', ']'), SocketAddressOptions.DefaultNbdPort);
        }

        return ushort.TryParse(text.AsSpan(colon + 1), out ushort port) && port > 0
            ? SocketAddressOptions.Inet(text[..colon].Trim('[', ']'), port)
            : throw new PSArgumentException($"'{Server}' is not a server address: expected host:port, unix:PATH or a socket path", nameof(Server));
    }
}
