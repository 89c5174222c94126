using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>blockdev-add. One parameter set per driver; the engine checks the options the driver needs.</summary>
[Cmdlet(VerbsCommon.New, "BlockNode", SupportsShouldProcess = true, DefaultParameterSetName = MemorySet)]
[OutputType(typeof(BlockNodeInfo))]
public sealed class NewBlockNodeCommand : EngineCommand
{
    private const string FileSet = "File";
    private const string MemorySet = "Memory";
    private const string NullSet = "Null";
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

    [Parameter(Mandatory = true, ParameterSetName = MemorySet)]
    [Parameter(Mandatory = true, ParameterSetName = NullSet)]
    public long Size { get; set; }

    [Parameter(ParameterSetName = MemorySet)]
    public BlockCompression Compression { get; set; }

    /// <summary>Raw: the node the raw format driver passes every request to (QEMU's file).</summary>
    [Parameter(Mandatory = true, ParameterSetName = RawSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string File { get; set; } = null!;

    [Parameter]
    public SwitchParameter ReadOnly { get; set; }

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
            Size = ParameterSetName is MemorySet or NullSet ? Size : null,
            Compression = Compression,
            CacheDirect = CacheDirect,
            ReadOnly = ReadOnly,
            Backing = Backing,
        };

        if (!ShouldProcess(NodeName, $"Create {Driver} block node"))
        {
            return;
        }

        BlockNodeInfo? info = null;
        if (TryInvoke(NodeName, () => info = TargetEngine.AddBlockNode(options)) && PassThru)
        {
            WriteObject(info);
        }
    }
}
