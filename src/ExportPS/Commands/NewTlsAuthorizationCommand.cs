using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>object-add qom-type=authz-list, authz-simple or authz-listfile: which client certificate names may connect.</summary>
[Cmdlet(VerbsCommon.New, "TlsAuthorization", SupportsShouldProcess = true, DefaultParameterSetName = ListSet)]
[OutputType(typeof(AuthzInfo))]
public sealed class NewTlsAuthorizationCommand : EngineCommand
{
    private const string ListSet = "List";
    private const string SimpleSet = "Simple";
    private const string ListFileSet = "ListFile";

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Id { get; set; } = null!;

    /// <summary>authz-list: the answer when no rule matches.</summary>
    [Parameter(ParameterSetName = ListSet)]
    public AuthzPolicy Policy { get; set; } = AuthzPolicy.Deny;

    /// <summary>authz-list: checked in order, the first match decides.</summary>
    [Parameter(Position = 1, ParameterSetName = ListSet)]
    [AuthzListRuleTransformation]
    [ValidateNotNull]
    public AuthzListRule[] Rule { get; set; } = [];

    /// <summary>authz-simple: the one distinguished name allowed.</summary>
    [Parameter(Mandatory = true, ParameterSetName = SimpleSet)]
    [ValidateNotNullOrEmpty]
    public string Identity { get; set; } = null!;

    /// <summary>authz-listfile: the JSON file with the policy and rules.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ListFileSet)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = null!;

    /// <summary>authz-listfile: reread the file when it changes.</summary>
    [Parameter(ParameterSetName = ListFileSet)]
    public bool Refresh { get; set; } = true;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void Process()
    {
        var options = ParameterSetName switch
        {
            SimpleSet => new AuthzOptions { Type = AuthzType.Simple, Id = Id, Identity = Identity },
            ListFileSet => new AuthzOptions
            {
                Type = AuthzType.ListFile,
                Id = Id,
                Filename = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path),
                Refresh = Refresh,
            },
            _ => new AuthzOptions { Type = AuthzType.List, Id = Id, Policy = Policy, Rules = Rule },
        };

        InvokeWithPassThru(Id, "Create TLS authorization", () => TargetEngine.AddAuthz(options), PassThru);
    }
}
