using System.Management.Automation;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>
/// block-export-add. The common options are in every parameter set; each export type has a set of its own (Nbd,
/// VhostUserBlk, Fuse, VduseBlk), so a type adds its options without touching the others. Without -Type, the type is the one
/// whose parameters were given.
/// </summary>
[Cmdlet(VerbsCommon.Add, "BlockExport", SupportsShouldProcess = true, DefaultParameterSetName = NbdSet)]
[OutputType(typeof(BlockExportInfo))]
public sealed class AddBlockExportCommand : EngineCommand
{
    private const string NbdSet = "Nbd";
    private const string VhostUserBlkSet = "VhostUserBlk";
    private const string VhostUserBlkFdSet = "VhostUserBlkFd";
    private const string VduseBlkSet = "VduseBlk";
    private const string FuseSet = "Fuse";

    [Parameter]
    public BlockExportType Type { get; set; } = BlockExportType.Nbd;

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Id { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string NodeName { get; set; } = null!;

    [Parameter]
    public SwitchParameter Writable { get; set; }

    [Parameter]
    public SwitchParameter Writethrough { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(IoThreadIdCompleter))]
    public string? IoThread { get; set; }

    [Parameter]
    public SwitchParameter FixedIoThread { get; set; }

    /// <summary>NBD: the export name clients ask for; the node name when not given.</summary>
    [Parameter(ParameterSetName = NbdSet)]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    [Parameter(ParameterSetName = NbdSet)]
    public string? Description { get; set; }

    /// <summary>NBD: dirty bitmaps published as qemu:dirty-bitmap:NAME ("name" on the node, or "node/name").</summary>
    [Parameter(ParameterSetName = NbdSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DirtyBitmapNameCompleter))]
    public string[] Bitmap { get; set; } = [];

    [Parameter(ParameterSetName = NbdSet)]
    public SwitchParameter AllocationDepth { get; set; }

    /// <summary>vhost-user-blk: the unix socket the front-end (QEMU) connects to.</summary>
    [Parameter(Mandatory = true, ParameterSetName = VhostUserBlkSet)]
    [ValidateNotNullOrEmpty]
    public string SocketPath { get; set; } = null!;

    /// <summary>vhost-user-blk: a listening unix socket passed to the engine's process, by descriptor number.</summary>
    [Parameter(Mandatory = true, ParameterSetName = VhostUserBlkFdSet)]
    [ValidateRange(0, int.MaxValue)]
    public int Fd { get; set; }

    /// <summary>vhost-user-blk and vduse-blk: the guest's logical block size (a power of two; the engine checks the range).</summary>
    [Parameter(ParameterSetName = VhostUserBlkSet)]
    [Parameter(ParameterSetName = VhostUserBlkFdSet)]
    [Parameter(ParameterSetName = VduseBlkSet)]
    public long LogicalBlockSize { get; set; } = 512;

    /// <summary>vhost-user-blk and vduse-blk: the number of request queues.</summary>
    [Parameter(ParameterSetName = VhostUserBlkSet)]
    [Parameter(ParameterSetName = VhostUserBlkFdSet)]
    [Parameter(ParameterSetName = VduseBlkSet)]
    public int NumQueues { get; set; } = 1;

    /// <summary>vduse-blk: the VDUSE device name.</summary>
    [Parameter(Mandatory = true, ParameterSetName = VduseBlkSet)]
    [ValidateNotNullOrEmpty]
    public string DeviceName { get; set; } = null!;

    [Parameter(ParameterSetName = VduseBlkSet)]
    public int QueueSize { get; set; } = 256;

    [Parameter(ParameterSetName = VduseBlkSet)]
    public string Serial { get; set; } = string.Empty;

    /// <summary>fuse: the existing regular file the node is mounted over.</summary>
    [Parameter(Mandatory = true, ParameterSetName = FuseSet)]
    [ValidateNotNullOrEmpty]
    public string MountPoint { get; set; } = null!;

    /// <summary>fuse: writes past the end, truncate and fallocate may resize the node.</summary>
    [Parameter(ParameterSetName = FuseSet)]
    public SwitchParameter Growable { get; set; }

    /// <summary>fuse: whether other users may use the file (Auto: when the system allows it).</summary>
    [Parameter(ParameterSetName = FuseSet)]
    public FuseExportAllowOther AllowOther { get; set; } = FuseExportAllowOther.Auto;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private BlockExportType SetType => ParameterSetName switch
    {
        VhostUserBlkSet or VhostUserBlkFdSet => BlockExportType.VhostUserBlk,
        VduseBlkSet => BlockExportType.VduseBlk,
        FuseSet => BlockExportType.Fuse,
        _ => BlockExportType.Nbd,
    };

    protected override void Process()
    {
        bool typeGiven = MyInvocation.BoundParameters.ContainsKey(nameof(Type));
        if (typeGiven && ParameterSetName != NbdSet && Type != SetType)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException($"-Type {Type} does not take the parameters of {SetType} exports"),
                ErrorIds.InvalidExportOptions, ErrorCategory.InvalidArgument, Type));
        }

        var type = typeGiven ? Type : SetType;
        var options = new BlockExportOptions
        {
            Type = type,
            Id = Id,
            NodeName = NodeName,
            Writable = Writable,
            Writethrough = Writethrough,
            IoThread = IoThread,
            FixedIoThread = FixedIoThread,
            Nbd = new NbdExportOptions
            {
                Name = Name,
                Description = Description,
                Bitmaps = Bitmap,
                AllocationDepth = AllocationDepth,
            },
            VhostUserBlk = SetType != BlockExportType.VhostUserBlk ? null : new VhostUserBlkExportOptions
            {
                Address = ParameterSetName == VhostUserBlkFdSet
                    ? SocketAddressOptions.FromFd(Fd.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    : SocketAddressOptions.Unix(SessionState.Path.GetUnresolvedProviderPathFromPSPath(SocketPath)),
                LogicalBlockSize = LogicalBlockSize,
                NumQueues = NumQueues,
            },
            VduseBlk = SetType != BlockExportType.VduseBlk ? null : new VduseBlkExportOptions
            {
                Name = DeviceName,
                NumQueues = NumQueues,
                QueueSize = QueueSize,
                LogicalBlockSize = LogicalBlockSize,
                Serial = Serial,
            },
            Fuse = SetType != BlockExportType.Fuse ? null : new FuseExportOptions
            {
                MountPoint = SessionState.Path.GetUnresolvedProviderPathFromPSPath(MountPoint),
                Growable = Growable,
                AllowOther = AllowOther,
            },
        };

        InvokeWithPassThru(Id, $"Export block node '{NodeName}' over {type}", () => ExportOutput.ToPSObject(TargetEngine.AddBlockExport(options)), PassThru);
    }
}
