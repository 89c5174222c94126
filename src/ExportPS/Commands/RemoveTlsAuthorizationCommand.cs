using System.Management.Automation;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>object-del of an authorization object; allowed while the NBD server names it (new clients are then denied).</summary>
[Cmdlet(VerbsCommon.Remove, "TlsAuthorization", SupportsShouldProcess = true, DefaultParameterSetName = IdSet)]
[OutputType(typeof(void))]
public sealed class RemoveTlsAuthorizationCommand : EngineCommand
{
    private const string IdSet = "Id";
    private const string InputObjectSet = "InputObject";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = IdSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TlsAuthorizationIdCompleter))]
    public string[] Id { get; set; } = [];

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [ValidateNotNull]
    public AuthzInfo[] InputObject { get; set; } = [];

    protected override void Process() =>
        RemoveObjects(
            ParameterSetName == InputObjectSet ? InputObject.Select(a => a.Id).ToArray() : Id,
            () => TargetEngine.GetAuthz().Select(a => a.Id),
            NotFoundErrors.Object,
            "Remove TLS authorization");
}
