using System.Management.Automation;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>object-del of TLS credentials; the engine refuses credentials the NBD server uses.</summary>
[Cmdlet(VerbsCommon.Remove, "TlsCredential", SupportsShouldProcess = true, DefaultParameterSetName = IdSet)]
[OutputType(typeof(void))]
public sealed class RemoveTlsCredentialCommand : EngineCommand
{
    private const string IdSet = "Id";
    private const string InputObjectSet = "InputObject";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = IdSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TlsCredentialIdCompleter))]
    public string[] Id { get; set; } = [];

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [ValidateNotNull]
    public TlsCredsInfo[] InputObject { get; set; } = [];

    protected override void Process() =>
        RemoveObjects(
            ParameterSetName == InputObjectSet ? InputObject.Select(c => c.Id).ToArray() : Id,
            () => TargetEngine.GetTlsCreds().Select(c => c.Id),
            NotFoundErrors.TlsCreds,
            "Remove TLS credentials");
}
