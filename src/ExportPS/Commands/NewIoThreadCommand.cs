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

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void Process()
    {
        foreach (var id in Id)
        {
            InvokeWithPassThru(id, "Create iothread", () => TargetEngine.AddIoThread(id), PassThru);
        }
    }
}
