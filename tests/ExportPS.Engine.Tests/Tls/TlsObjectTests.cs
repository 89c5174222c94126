using System.Security.Cryptography.X509Certificates;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using Xunit;

namespace ExportPS.Engine.Tests.Tls;

/// <summary>object-add / object-del of tls-creds-x509, tls-creds-psk, authz-list and authz-simple, and nbd-server-start's checks.</summary>
public sealed class TlsObjectTests : IDisposable
{
    private readonly TestPki _pki = new();
    private readonly ExportEngine _engine = new();
    private readonly X509Certificate2 _ca = TestPki.CreateCa("Test CA");

    public void Dispose()
    {
        _engine.Dispose();
        _pki.Dispose();
    }

    private string GoodServerDir() => _pki.ServerDir(_ca, TestPki.Server(_ca));

    private static EngineException Refused(Action action, string errorId)
    {
        var e = Assert.Throws<EngineException>(action);
        Assert.Equal(errorId, e.ErrorId);
        return e;
    }

    [Fact]
    public void CredentialsFromDirectoryAreDescribedWithPlainValues()
    {
        string dir = GoodServerDir();
        var info = _engine.AddTlsCreds(new TlsCredsOptions { Id = "tls0", Dir = dir });

        Assert.Equal("tls0", info.Id);
        Assert.Equal(TlsCredsType.X509, info.Type);
        Assert.Equal(TlsCredsEndpoint.Server, info.Endpoint);
        Assert.Equal(dir, info.Dir);
        Assert.True(info.VerifyPeer);
        Assert.Equal("C=GB,O=ExportPS Test,CN=localhost", info.Subject);
        Assert.Equal("C=GB,O=ExportPS Test,CN=Test CA", info.Issuer);
        Assert.Equal(["C=GB,O=ExportPS Test,CN=Test CA"], info.CaSubjects);
        Assert.False(info.InUse);
        Assert.Equal(info.Thumbprint, Assert.Single(_engine.GetTlsCreds()).Thumbprint);
    }

    [Fact]
    public void AServerCertificateWithAnEmptySubjectIsStillDescribed()
    {
        var server = TestPki.Issue(_ca, new X500DistinguishedName(string.Empty), server: true);
        var info = _engine.AddTlsCreds(new TlsCredsOptions { Id = "san-only", Dir = _pki.ServerDir(_ca, server) });
        Assert.Equal(string.Empty, info.Subject);
        Assert.Equal("C=GB,O=ExportPS Test,CN=Test CA", info.Issuer);
    }

    [Fact]
    public void MissingFilesNameThePathLikeQemu()
    {
        string dir = GoodServerDir();
        File.Delete(Path.Combine(dir, "server-key.pem"));
        var e = Refused(() => _engine.AddTlsCreds(new TlsCredsOptions { Id = "tls0", Dir = dir }), ErrorIds.TlsCredsLoadFailed);
        Assert.Equal($"Unable to access credentials {Path.Combine(dir, "server-key.pem")}: No such file or directory", e.Message);

        string nowhere = Path.Combine(_pki.Root, "nowhere");
        e = Refused(() => _engine.AddTlsCreds(new TlsCredsOptions { Id = "tls0", Dir = nowhere }), ErrorIds.TlsCredsLoadFailed);
        Assert.Equal($"Unable to access credentials {Path.Combine(nowhere, "ca-cert.pem")}: No such file or directory", e.Message);

        e = Refused(() => _engine.AddTlsCreds(new TlsCredsOptions { Id = "tls0" }), ErrorIds.InvalidTlsCreds);
        Assert.Equal("Missing 'dir' property value", e.Message);
        Assert.Empty(_engine.GetTlsCreds());
    }

    [Fact]
    public void UnreadableOrMismatchedFilesAreRefusedAtCreation()
    {
        string dir = GoodServerDir();
        File.WriteAllText(Path.Combine(dir, "ca-cert.pem"), "not a certificate");
        var e = Refused(() => _engine.AddTlsCreds(new TlsCredsOptions { Id = "a", Dir = dir }), ErrorIds.TlsCredsLoadFailed);
        Assert.Equal($"Unable to import CA certificate list {Path.Combine(dir, "ca-cert.pem")}", e.Message);

        dir = GoodServerDir();
        TestPki.WriteKey(Path.Combine(dir, "server-key.pem"), TestPki.Server(_ca));
        e = Refused(() => _engine.AddTlsCreds(new TlsCredsOptions { Id = "b", Dir = dir }), ErrorIds.TlsCredsLoadFailed);
        Assert.StartsWith($"Cannot load certificate '{Path.Combine(dir, "server-cert.pem")}' & key '{Path.Combine(dir, "server-key.pem")}'", e.Message);
        Assert.Empty(_engine.GetTlsCreds());
    }

    [Fact]
    public void QemuSanityChecksRunAtCreation()
    {
        var otherCa = TestPki.CreateCa("Other CA");
        string dir = _pki.ServerDir(_ca, TestPki.Server(otherCa), "foreign");
        var e = Refused(() => _engine.AddTlsCreds(new TlsCredsOptions { Id = "a", Dir = dir }), ErrorIds.TlsCredsLoadFailed);
        Assert.Equal($"Our own certificate {Path.Combine(dir, "server-cert.pem")} failed validation against {Path.Combine(dir, "ca-cert.pem")}: The certificate hasn't got a known issuer", e.Message);

        var expired = TestPki.Issue(_ca, TestPki.Cn("localhost"), server: true, DateTimeOffset.UtcNow.AddDays(-3), DateTimeOffset.UtcNow.AddDays(-1));
        dir = _pki.ServerDir(_ca, expired, "expired");
        e = Refused(() => _engine.AddTlsCreds(new TlsCredsOptions { Id = "b", Dir = dir }), ErrorIds.TlsCredsLoadFailed);
        Assert.Equal($"The server certificate {Path.Combine(dir, "server-cert.pem")} has expired", e.Message);

        dir = _pki.ServerDir(_ca, TestPki.Server(_ca), "crl");
        File.WriteAllText(Path.Combine(dir, "ca-crl.pem"), "");
        e = Refused(() => _engine.AddTlsCreds(new TlsCredsOptions { Id = "c", Dir = dir }), ErrorIds.TlsCredsNotSupported);
        Assert.Equal(EngineErrorCategory.NotSupported, e.Category);
    }

    [Fact]
    public void PskCredentialsAreRefusedWithTheReason()
    {
        var e = Refused(() => _engine.AddTlsCreds(new TlsCredsOptions { Id = "psk0", Type = TlsCredsType.Psk, Dir = _pki.Root, Username = "u" }),
            ErrorIds.TlsCredsNotSupported);
        Assert.Equal(EngineErrorCategory.NotSupported, e.Category);
        Assert.Contains("SslStream", e.Message);
        Assert.Contains("pre-shared-key", e.Message);
    }

    [Fact]
    public void InProcessCertificatesNeedAPrivateKeyAndCaForVerifyPeer()
    {
        var server = TestPki.Server(_ca);
        var info = _engine.AddTlsCreds(new TlsCredsOptions { Id = "mem", Certificate = server, CaCertificates = [_ca] });
        Assert.Null(info.Dir);
        Assert.Equal(server.Thumbprint, info.Thumbprint);

        using var publicOnly = X509CertificateLoader.LoadCertificate(server.RawData);
        Refused(() => _engine.AddTlsCreds(new TlsCredsOptions { Id = "nokey", Certificate = publicOnly, CaCertificates = [_ca] }), ErrorIds.InvalidTlsCreds);
        Refused(() => _engine.AddTlsCreds(new TlsCredsOptions { Id = "noca", Certificate = server }), ErrorIds.InvalidTlsCreds);
        Assert.Equal("noverify", _engine.AddTlsCreds(new TlsCredsOptions { Id = "noverify", Certificate = server, VerifyPeer = false }).Id);
        Refused(() => _engine.AddTlsCreds(new TlsCredsOptions { Id = "both", Certificate = server, CaCertificates = [_ca], Dir = GoodServerDir() }), ErrorIds.InvalidTlsCreds);
    }

    [Fact]
    public void ObjectIdsAreOneNamespaceAndObjectDelRemovesAnyKind()
    {
        _engine.AddTlsCreds(new TlsCredsOptions { Id = "obj", Dir = GoodServerDir() });
        var e = Refused(() => _engine.AddAuthz(new AuthzOptions { Id = "obj", Type = AuthzType.Simple, Identity = "CN=x" }), ErrorIds.ObjectExists);
        Assert.Equal("attempt to add duplicate property 'obj' to object (type 'container')", e.Message);
        Refused(() => _engine.AddIoThread(new IoThreadOptions { Id = "obj" }), ErrorIds.IoThreadExists);

        _engine.AddIoThread(new IoThreadOptions { Id = "io0" });
        Refused(() => _engine.AddTlsCreds(new TlsCredsOptions { Id = "io0", Dir = GoodServerDir() }), ErrorIds.ObjectExists);
        _engine.AddAuthz(new AuthzOptions { Id = "auth0", Rules = [new AuthzListRule { Match = "CN=*", Policy = AuthzPolicy.Allow, Format = AuthzListFormat.Glob }] });

        _engine.RemoveObject("obj");
        _engine.RemoveObject("io0");
        _engine.RemoveObject("auth0");
        Assert.Empty(_engine.GetTlsCreds());
        Assert.Empty(_engine.GetIoThreads());
        Assert.Empty(_engine.GetAuthz());

        e = Refused(() => _engine.RemoveObject("obj"), ErrorIds.ObjectNotFound);
        Assert.Equal("object 'obj' not found", e.Message);
        Assert.Equal(EngineErrorCategory.NotFound, e.Category);
    }

    [Fact]
    public void AuthzObjectsAreDescribedAndValidated()
    {
        var rules = new[]
        {
            new AuthzListRule { Match = "CN=bad", Policy = AuthzPolicy.Deny },
            new AuthzListRule { Match = "*CN=*.example.com", Policy = AuthzPolicy.Allow, Format = AuthzListFormat.Glob },
        };
        var list = _engine.AddAuthz(new AuthzOptions { Id = "list0", Policy = AuthzPolicy.Deny, Rules = rules });
        Assert.Equal(AuthzType.List, list.Type);
        Assert.Equal(rules, list.Rules);
        rules[0] = new AuthzListRule { Match = "changed", Policy = AuthzPolicy.Allow };
        Assert.Equal("CN=bad", _engine.GetAuthz().Single().Rules[0].Match);

        var simple = _engine.AddAuthz(new AuthzOptions { Id = "simple0", Type = AuthzType.Simple, Identity = "C=GB,CN=a" });
        Assert.Equal("C=GB,CN=a", simple.Identity);

        var e = Refused(() => _engine.AddAuthz(new AuthzOptions { Id = "simple1", Type = AuthzType.Simple }), ErrorIds.InvalidAuthzOptions);
        Assert.Equal("The 'identity' property must be set", e.Message);
        Refused(() => _engine.AddAuthz(new AuthzOptions { Id = "1bad" }), ErrorIds.InvalidName);
        Assert.Equal(2, _engine.GetAuthz().Count);
    }

    [Fact]
    public void NbdServerStartChecksTheCredentialsLikeQemu()
    {
        var e = Refused(() => _engine.StartNbdServer(new NbdServerOptions { TlsCreds = "tls0" }), ErrorIds.TlsCredsNotFound);
        Assert.Equal("No TLS credentials with id 'tls0'", e.Message);

        _engine.AddTlsCreds(new TlsCredsOptions { Id = "client0", Endpoint = TlsCredsEndpoint.Client, Dir = _pki.ClientDir(_ca, TestPki.Client(_ca)) });
        e = Refused(() => _engine.StartNbdServer(new NbdServerOptions { TlsCreds = "client0" }), ErrorIds.InvalidTlsCreds);
        Assert.Equal("Expecting TLS credentials with a server endpoint", e.Message);

        _engine.AddAuthz(new AuthzOptions { Id = "auth0", Type = AuthzType.Simple, Identity = "CN=x" });
        e = Refused(() => _engine.StartNbdServer(new NbdServerOptions { TlsCreds = "auth0" }), ErrorIds.InvalidTlsCreds);
        Assert.Equal("Object with id 'auth0' is not TLS credentials", e.Message);

        e = Refused(() => _engine.StartNbdServer(new NbdServerOptions { TlsAuthz = "auth0" }), ErrorIds.InvalidTlsCreds);
        Assert.Equal("tls-authz is not permitted without tls-creds", e.Message);

        _engine.AddTlsCreds(new TlsCredsOptions { Id = "open0", Dir = GoodServerDir(), VerifyPeer = false });
        Refused(() => _engine.StartNbdServer(new NbdServerOptions { TlsCreds = "open0", TlsAuthz = "auth0" }), ErrorIds.InvalidTlsCreds);
        Assert.False(_engine.GetNbdServer().Running);
    }
}
