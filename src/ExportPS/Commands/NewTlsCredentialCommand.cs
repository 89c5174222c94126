using System.Management.Automation;
using System.Security.Cryptography.X509Certificates;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>
/// object-add qom-type=tls-creds-x509: from a directory in QEMU's layout, or from an X509Certificate2 with its key.
/// QEMU's tls-creds-psk is not offered: the engine refuses it (SslStream has no PSK cipher suites).
/// </summary>
[Cmdlet(VerbsCommon.New, "TlsCredential", SupportsShouldProcess = true, DefaultParameterSetName = DirectorySet)]
[OutputType(typeof(TlsCredsInfo))]
public sealed class NewTlsCredentialCommand : EngineCommand
{
    private const string DirectorySet = "Directory";
    private const string CertificateSet = "Certificate";

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Id { get; set; } = null!;

    /// <summary>QEMU's dir: ca-cert.pem plus server-cert.pem/server-key.pem (or client-cert.pem/client-key.pem).</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = DirectorySet)]
    [ValidateNotNullOrEmpty]
    public string Directory { get; set; } = null!;

    [Parameter(Mandatory = true, ParameterSetName = CertificateSet)]
    [ValidateNotNull]
    public X509Certificate2 Certificate { get; set; } = null!;

    [Parameter(ParameterSetName = CertificateSet)]
    [ValidateNotNull]
    public X509Certificate2[] CaCertificate { get; set; } = [];

    [Parameter]
    public TlsCredsEndpoint Endpoint { get; set; } = TlsCredsEndpoint.Server;

    [Parameter]
    public bool VerifyPeer { get; set; } = true;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void Process()
    {
        var options = new TlsCredsOptions { Id = Id, Endpoint = Endpoint, VerifyPeer = VerifyPeer };
        options = ParameterSetName == CertificateSet
            ? options with { Certificate = Certificate, CaCertificates = CaCertificate }
            : options with { Dir = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Directory) };

        InvokeWithPassThru(Id, "Create TLS credentials", () => TargetEngine.AddTlsCreds(options), PassThru);
    }
}
