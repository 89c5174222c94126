using System.Management.Automation;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>query-iothreads.</summary>
[Cmdlet(VerbsCommon.Get, "IoThread")]
[OutputType(typeof(IoThreadInfo))]
public sealed class GetIoThreadCommand : EngineCommand
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(IoThreadIdCompleter))]
    public string[]? Id { get; set; }

    protected override void Process()
    {
        foreach (var thread in SelectByName(TargetEngine.GetIoThreads(), Id, t => t.Id, NotFoundErrors.IoThread))
        {
            WriteObject(thread);
        }
    }
}
