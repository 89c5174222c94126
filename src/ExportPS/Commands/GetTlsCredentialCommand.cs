using System.Management.Automation;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>The TLS credentials objects (an ExportPS query; QEMU has none).</summary>
[Cmdlet(VerbsCommon.Get, "TlsCredential")]
[OutputType(typeof(TlsCredsInfo))]
public sealed class GetTlsCredentialCommand : EngineCommand
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TlsCredentialIdCompleter))]
    public string[]? Id { get; set; }

    protected override void Process()
    {
        foreach (var credentials in SelectByName(TargetEngine.GetTlsCreds(), Id, c => c.Id, NotFoundErrors.TlsCreds))
        {
            WriteObject(credentials);
        }
    }
}
