using System.Management.Automation;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>The authorization objects (an ExportPS query; QEMU has none).</summary>
[Cmdlet(VerbsCommon.Get, "TlsAuthorization")]
[OutputType(typeof(AuthzInfo))]
public sealed class GetTlsAuthorizationCommand : EngineCommand
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TlsAuthorizationIdCompleter))]
    public string[]? Id { get; set; }

    protected override void Process()
    {
        foreach (var authz in SelectByName(TargetEngine.GetAuthz(), Id, a => a.Id, NotFoundErrors.Object))
        {
            WriteObject(authz);
        }
    }
}
