using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>object-del of an iothread; the engine refuses one that exports or netdevs still run on.</summary>
[Cmdlet(VerbsCommon.Remove, "IoThread", SupportsShouldProcess = true, DefaultParameterSetName = IdSet)]
[OutputType(typeof(void))]
public sealed class RemoveIoThreadCommand : EngineCommand
{
    private const string IdSet = "Id";
    private const string InputObjectSet = "InputObject";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = IdSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(IoThreadIdCompleter))]
    public string[] Id { get; set; } = [];

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [ValidateNotNull]
    public IoThreadInfo[] InputObject { get; set; } = [];

    protected override void Process()
    {
        var ids = ParameterSetName == InputObjectSet
            ? InputObject.Select(t => t.Id)
            : ExpandNames(Id, () => TargetEngine.GetIoThreads().Select(t => t.Id));
        foreach (var id in ids)
        {
            if (ShouldProcess(id, "Remove iothread"))
            {
                TryInvoke(id, () => TargetEngine.RemoveIoThread(id));
            }
        }
    }
}
