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

    protected override void Process()
    {
        var ids = ParameterSetName == InputObjectSet ? InputObject.Select(c => c.Id).ToArray() : Id;

        // object-del takes any object: an id that names no credentials must not remove an authz or iothread.
        // QEMU cannot list them (no query): there the ids are passed on as given.
        var known = KnownIds();
        foreach (var id in known is null ? ids : ExpandNames(ids, () => known))
        {
            if (known is not null && !known.Contains(id, StringComparer.Ordinal))
            {
                WriteEngineError(GetTlsCredentialCommand.NotFound(id), id);
            }
            else if (ShouldProcess(id, "Remove TLS credentials"))
            {
                TryInvoke(id, () => TargetEngine.RemoveObject(id));
            }
        }
    }

    private string[]? KnownIds()
    {
        try
        {
            return TargetEngine.GetTlsCreds().Select(c => c.Id).ToArray();
        }
        catch (EngineException e) when (e.ErrorId == ErrorIds.QmpCommandNotFound)
        {
            return null;
        }
    }
}
