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

    protected override void Process()
    {
        var ids = ParameterSetName == InputObjectSet ? InputObject.Select(a => a.Id).ToArray() : Id;

        // object-del takes any object: an id that names no authorization must not remove credentials or an iothread.
        // QEMU cannot list them (no query): there the ids are passed on as given.
        var known = KnownIds();
        foreach (var id in known is null ? ids : ExpandNames(ids, () => known))
        {
            if (known is not null && !known.Contains(id, StringComparer.Ordinal))
            {
                WriteEngineError(GetTlsAuthorizationCommand.NotFound(id), id);
            }
            else if (ShouldProcess(id, "Remove TLS authorization"))
            {
                TryInvoke(id, () => TargetEngine.RemoveObject(id));
            }
        }
    }

    private string[]? KnownIds()
    {
        try
        {
            return TargetEngine.GetAuthz().Select(a => a.Id).ToArray();
        }
        catch (EngineException e) when (e.ErrorId == ErrorIds.QmpCommandNotFound)
        {
            return null;
        }
    }
}
