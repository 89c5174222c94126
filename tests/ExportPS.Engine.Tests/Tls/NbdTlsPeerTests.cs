using System.Text.Json;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Tests.Nbd;
using Xunit;

namespace ExportPS.Engine.Tests.Tls;

/// <summary>NBD over TLS against real clients: libnbd (nbdinfo, nbdcopy) with its tls-certificates directory, and QEMU.</summary>
public sealed class NbdTlsPeerTests
{
    private const string NbdInfo = Peer.NbdInfo;
    private const string NbdCopy = Peer.NbdCopy;
    private const string QemuImg = Peer.QemuImg;
    private const string QemuIo = Peer.QemuIo;
    private const string QemuNbd = Peer.QemuNbd;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static PeerProcess.Result Info(string uri) => PeerProcess.Run(NbdInfo, ["--json", uri], Limit);

    private static void AssertServes(NbdTestServer server, string? certificates)
    {
        var info = Info(server.TlsUri(certificates)).Check("nbdinfo over TLS");
        using var json = JsonDocument.Parse(info.Stdout);
        Assert.Equal(NbdTestServer.TlsSize, json.RootElement.GetProperty("exports")[0].GetProperty("export-size").GetInt64());
    }

    private static void AssertRefused(PeerProcess.Result result, string what)
    {
        Assert.True(result.ExitCode != 0, $"{what} should have been refused:\n{result.Stdout}");
    }

    [Fact]
    public void NbdinfoOverTcpWithAnAllowedClientCertificate()
    {
        using var server = NbdTestServer.WithTls(allowedGlobs: ["*,CN=good.example.com"]);
        AssertServes(server, server.ClientDir("good.example.com"));
        Assert.Equal("tls0", server.Engine.GetNbdServer().TlsCreds);
    }

    [Fact]
    public void NbdcopyRoundTripOverAUnixSocketWithTls()
    {
        using var server = NbdTestServer.WithTls(unix: true);
        string certificates = server.ClientDir("copier.example.com");
        string source = Path.Combine(server.Pki.Root, "source.img");
        string back = Path.Combine(server.Pki.Root, "back.img");
        var data = new byte[NbdTestServer.TlsSize];
        new Random(7).NextBytes(data.AsSpan(0, 4 << 20));
        File.WriteAllBytes(source, data);

        PeerProcess.Run(NbdCopy, [source, server.TlsUri(certificates)], Limit).Check("nbdcopy file -> nbds+unix");
        PeerProcess.Run(NbdCopy, [server.TlsUri(certificates), back], Limit).Check("nbdcopy nbds+unix -> file");
        Assert.True(File.ReadAllBytes(back).AsSpan().SequenceEqual(data), "the data read back over TLS differs");
    }

    [Fact]
    public void QemuClientsWithTlsCredsObjects()
    {
        using var server = NbdTestServer.WithTls(allowedGlobs: ["*CN=qemu.example.com"]);
        string certificates = server.ClientDir("qemu.example.com");
        string tlsObject = $"tls-creds-x509,id=tls0,dir={certificates},endpoint=client";
        string image = $"driver=nbd,server.type=inet,server.host=127.0.0.1,server.port={server.Port},export=disk,tls-creds=tls0";

        var info = PeerProcess.Run(QemuImg, ["info", "--object", tlsObject, "--image-opts", image], Limit).Check("qemu-img info over TLS");
        Assert.Contains("virtual size: 16 MiB", info.Stdout);

        var io = PeerProcess.Run(QemuIo, ["--object", tlsObject, "--image-opts", image,
            "-c", "write -P 0x5a 1M 64k", "-c", "read -P 0x5a 1M 64k", "-c", "read -P 0 0 64k"], Limit).Check("qemu-io over TLS");
        Assert.DoesNotContain("Pattern verification failed", io.Stdout);
    }

    [Fact]
    public void DeniedNameWrongCaAndMissingCertificateFailCleanlyAndTheServerGoesOn()
    {
        using var server = NbdTestServer.WithTls(unix: true, allowedGlobs: ["*,CN=good.example.com"]);
        AssertRefused(Info(server.TlsUri(server.ClientDir("bad.example.com"))), "a client whose DN the authz denies");
        AssertRefused(Info(server.TlsUri(server.ClientDir("good.example.com", TestPki.CreateCa("Test CA")))), "a client certificate from another CA");
        AssertRefused(Info(server.TlsUri(server.ClientDir(null))), "a client without a certificate");
        AssertServes(server, server.ClientDir("good.example.com"));

        // Each refusal is on record for the operator, with the reason.
        Assert.True(SpinWait.SpinUntil(() => server.Engine.GetNbdServer().ClientErrors == 3, Limit), "three refused clients are counted");
        Assert.Contains(" unix socket: TLS: ", server.Engine.GetNbdServer().LastClientError);
    }

    [Fact]
    public void PlainClientAgainstTlsServerIsToldTlsIsRequired()
    {
        using var server = NbdTestServer.WithTls();
        var plain = Info(server.TlsUri(certificates: null));
        AssertRefused(plain, "a plain client");

        // libnbd's list mode sends NBD_OPT_LIST, which is refused with ERR_TLS_REQD too (the exact replies: NbdStartTlsTests).
        AssertRefused(PeerProcess.Run(NbdInfo, ["--list", server.TlsUri(certificates: null)], Limit), "a plain export listing");
        AssertServes(server, server.ClientDir("anyone"));
    }

    [Fact]
    public void TlsClientAgainstPlainServerFailsAndThePlainClientIsServed()
    {
        using var server = NbdTestServer.WithTls(requireTls: false);
        var tlsClient = Info(server.TlsUri(server.ClientDir("anyone")));
        AssertRefused(tlsClient, "a TLS-requiring client against a plain server");
        AssertServes(server, certificates: null);
    }

    [Fact]
    public void CredentialsInUseCannotBeDeletedUntilTheServerStops()
    {
        using var server = NbdTestServer.WithTls();
        var e = Assert.Throws<EngineException>(() => server.Engine.RemoveObject("tls0"));
        Assert.Equal(ErrorIds.ObjectInUse, e.ErrorId);
        Assert.Equal("object 'tls0' is in use, can not be deleted", e.Message);
        Assert.True(server.Engine.GetTlsCreds().Single().InUse);

        server.Engine.StopNbdServer(TimeSpan.FromSeconds(5));
        server.Engine.RemoveObject("tls0");
        Assert.Empty(server.Engine.GetTlsCreds());
    }

    /// <summary>
    /// An authz-simple identity written from our DN text admits the client on a real qemu-nbd (gnutls) as well as on
    /// ExportPS: the DN format is QEMU's, for names with escapes and multi-valued parts.
    /// </summary>
    [Fact]
    public void DistinguishedNamesMatchQemuNbdExactly()
    {
        using var server = NbdTestServer.WithTls(unix: true, allowedGlobs: []);
        string image = Path.Combine(server.Pki.Root, "disk.img");
        File.WriteAllBytes(image, new byte[1 << 20]);
        var subjects = new[]
        {
            TestPki.Name(("2.5.4.6", "GB"), ("2.5.4.8", "London"), ("2.5.4.10", "Example, Inc."), ("2.5.4.3", "a+b<c>;\"d\"\\e")),
            TestPki.Name(("0.9.2342.19200300.100.1.25", "example"), ("2.5.4.11", "#ops "), ("2.5.4.3", "Zoë"), ("1.2.840.113549.1.9.1", "ops@example.com")),
        };

        foreach (var subject in subjects)
        {
            var client = TestPki.Issue(server.Ca, subject, server: false);
            string dn = ExportPS.Engine.Tls.QemuDistinguishedName.Format(client.SubjectName);
            string clientDir = server.Pki.ClientDir(server.Ca, client, $"c-{Guid.NewGuid():n}");

            AssertRefused(Info(server.TlsUri(clientDir)), $"'{dn}' before the authz names it");
            server.Engine.RemoveObject("auth0");
            server.Engine.AddAuthz(new AuthzOptions { Id = "auth0", Type = AuthzType.Simple, Identity = dn });
            AssertServes(server, clientDir);

            string socket = Path.Combine(server.Pki.Root, $"q-{Guid.NewGuid():n}.sock");
            // QEMU's option syntax doubles commas inside a value.
            using var qemu = new PeerProcess.Background(QemuNbd,
            [
                "-k", socket, "-f", "raw", "--object", $"tls-creds-x509,id=tls0,dir={server.ServerDir},endpoint=server,verify-peer=on",
                "--object", $"authz-simple,id=auth0,identity={dn.Replace(",", ",,")}", "--tls-creds", "tls0", "--tls-authz", "auth0", image,
            ]);
            qemu.WaitForFile(socket);
            var result = PeerProcess.Run(NbdInfo, ["--size", $"nbds+unix:///?socket={socket}&tls-certificates={clientDir}"], Limit);
            Assert.True(result.ExitCode == 0, $"qemu-nbd refused identity '{dn}': {result.Stderr}");
        }
    }
}
