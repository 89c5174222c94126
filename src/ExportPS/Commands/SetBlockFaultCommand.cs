using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>x-block-fault-set: arms a fault rule on an x-fault-inject node, replacing the rule its operation had.</summary>
[Cmdlet(VerbsCommon.Set, "BlockFault", SupportsShouldProcess = true)]
[OutputType(typeof(BlockFaultInfo))]
public sealed class SetBlockFaultCommand : EngineCommand
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string NodeName { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 1)]
    public BlockFaultOperation Operation { get; set; }

    /// <summary>EIO (the default), ENOSPC, or None for a rule that only delays.</summary>
    [Parameter]
    public BlockFaultErrno Errno { get; set; } = BlockFaultErrno.EIO;

    [Parameter]
    [ValidateRange(0L, long.MaxValue)]
    public long Offset { get; set; }

    /// <summary>Not given: the range runs to the end of the node.</summary>
    [Parameter]
    [ValidateRange(0L, long.MaxValue)]
    public long Length { get; set; }

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double Probability { get; set; } = 1.0;

    /// <summary>Not given: no limit.</summary>
    [Parameter]
    [ValidateRange(0L, long.MaxValue)]
    public long Count { get; set; }

    [Parameter]
    public TimeSpan Delay { get; set; }

    [Parameter]
    [ValidateRange(0L, long.MaxValue)]
    public long ShortBytes { get; set; }

    [Parameter]
    public int Seed { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void Process()
    {
        var options = new BlockFaultOptions
        {
            NodeName = NodeName,
            Operation = Operation,
            Errno = Errno,
            Offset = Offset,
            Length = Given(nameof(Length)) ? Length : null,
            Probability = Probability,
            Count = Given(nameof(Count)) ? Count : null,
            Delay = Delay,
            ShortBytes = Given(nameof(ShortBytes)) ? ShortBytes : null,
            Seed = Given(nameof(Seed)) ? Seed : null,
        };

        InvokeWithPassThru(NodeName, $"Set {Errno} fault on {Operation}", () =>
        {
            TargetEngine.SetBlockFault(options);
            return TargetEngine.GetBlockFaults().FirstOrDefault(f => f.NodeName == NodeName && f.Operation == Operation);
        }, PassThru);
    }

    private bool Given(string parameter) => MyInvocation.BoundParameters.ContainsKey(parameter);
}
