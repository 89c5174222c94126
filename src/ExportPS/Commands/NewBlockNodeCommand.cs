using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>
/// blockdev-add. One parameter set per kind of storage: a file (-Path), a size (the Memory and Null drivers, which take
/// the same parameters, so one set: PowerShell could never tell two apart) or another node (-File). The engine checks
/// the options the driver needs.
/// </summary>
[Cmdlet(VerbsCommon.New, "BlockNode", SupportsShouldProcess = true, DefaultParameterSetName = SizeSet)]
[OutputType(typeof(BlockNodeInfo))]
public sealed class NewBlockNodeCommand : EngineCommand
{
    private const string FileSet = "File";
    private const string SizeSet = "Size";
    private const string RawSet = "Raw";

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
        };

        InvokeWithPassThru(NodeName, $"Create {Driver} block node", () => TargetEngine.AddBlockNode(options), PassThru);
    }
}
