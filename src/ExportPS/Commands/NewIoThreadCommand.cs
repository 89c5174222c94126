using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>object-add qom-type=iothread: a worker of the engine pool that exports can be placed on.</summary>
[Cmdlet(VerbsCommon.New, "IoThread", SupportsShouldProcess = true)]
[OutputType(typeof(IoThreadInfo))]
public sealed class NewIoThreadCommand : EngineCommand
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Id { get; set; } = [];

    /// <summary>poll-max-ns: the longest the iothread polls before it sleeps; 0 turns polling off. Unset: the engine's default.</summary>
    [Parameter]
    [ValidateRange(0L, long.MaxValue)]
    public long PollMaxNs { get; set; }

    /// <summary>poll-grow: the factor a short wait grows the window by (0: doubles).</summary>
    [Parameter]
    [ValidateRange(0L, long.MaxValue)]
    public long PollGrow { get; set; }

    /// <summary>poll-shrink: the divisor a long wait shrinks the window by (0: to nothing).</summary>
    [Parameter]
    [ValidateRange(0L, long.MaxValue)]
    public long PollShrink { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void Process()
    {
        foreach (var id in Id)
        {
            var options = new IoThreadOptions
            {
                Id = id,
                PollMaxNs = IfGiven(nameof(PollMaxNs), PollMaxNs),
                PollGrow = IfGiven(nameof(PollGrow), PollGrow),
                PollShrink = IfGiven(nameof(PollShrink), PollShrink),
            };
            InvokeWithPassThru(id, "Create iothread", () => TargetEngine.AddIoThread(options), PassThru);
        }
    }

    /// <summary>A setting not given stays the engine's default (QEMU's own, for a QEMU).</summary>
    private long? IfGiven(string parameter, long value) => MyInvocation.BoundParameters.ContainsKey(parameter) ? value : null;
}
