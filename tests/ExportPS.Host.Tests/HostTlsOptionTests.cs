using ExportPS.Engine.Model;
using ExportPS.Engine.Qapi;
using ExportPS.Host;
using ExportPS.Host.CommandLine;
using Xunit;
using static ExportPS.Host.Tests.HostParsing;

namespace ExportPS.Host.Tests;

/// <summary>The host's --object tls-creds-x509 / authz-list / authz-simple and --nbd-server tls-creds / tls-authz.</summary>
public sealed class HostTlsOptionTests
{
    [Fact]
    public void TlsCredsX509InQemuSyntax()
    {
        var options = Object<TlsCredsObjectOptions>("tls-creds-x509,id=tls0,dir=/etc/pki/qemu,endpoint=server,verify-peer=off").Options;
        Assert.Equal(new TlsCredsOptions { Id = "tls0", Dir = "/etc/pki/qemu", Endpoint = TlsCredsEndpoint.Server, VerifyPeer = false }, options);

        // QEMU's defaults: endpoint client, verify-peer on.
        options = Object<TlsCredsObjectOptions>("""{"qom-type":"tls-creds-x509","id":"c","dir":"/d"}""").Options;
        Assert.Equal(TlsCredsEndpoint.Client, options.Endpoint);
        Assert.True(options.VerifyPeer);
        Assert.Equal(TlsCredsType.Psk, Object<TlsCredsObjectOptions>("tls-creds-psk,id=p,dir=/d,username=u").Options.Type);
    }

    [Fact]
    public void AuthzObjectsInKeyvalAndJson()
    {
        var list = Object<AuthzObjectOptions>(
            "authz-list,id=auth0,policy=allow,rules.0.match=CN=bad,rules.0.policy=deny,rules.1.match=*,,CN=*.example.com,rules.1.policy=allow,rules.1.format=glob").Options;
        Assert.Equal(AuthzPolicy.Allow, list.Policy);
        Assert.Equal(
            [
                new AuthzListRule { Match = "CN=bad", Policy = AuthzPolicy.Deny },
                new AuthzListRule { Match = "*,CN=*.example.com", Policy = AuthzPolicy.Allow, Format = AuthzListFormat.Glob },
            ],
            list.Rules);

        var json = Object<AuthzObjectOptions>(
            """{"qom-type":"authz-list","id":"a","rules":[{"match":"C=GB,CN=x","policy":"allow"}]}""").Options;
        Assert.Equal(AuthzPolicy.Deny, json.Policy);
        Assert.Equal("C=GB,CN=x", Assert.Single(json.Rules).Match);

        var simple = Object<AuthzObjectOptions>("authz-simple,id=s,identity=C=GB,,O=Example Org,,CN=laptop").Options;
        Assert.Equal("C=GB,O=Example Org,CN=laptop", simple.Identity);

        var file = Object<AuthzObjectOptions>("authz-listfile,id=f,filename=/etc/qemu/authz.json,refresh=off").Options;
        Assert.Equal(new AuthzOptions { Id = "f", Type = AuthzType.ListFile, Filename = "/etc/qemu/authz.json", Refresh = false }, file);
    }

    [Theory]
    [InlineData("tls-creds-x509,id=t,dir=/d,endpoint=both", "Parameter 'endpoint' does not accept value 'both'")]
    [InlineData("tls-creds-x509,id=t,dir=/d,priority=NORMAL", "Parameter 'priority' is unexpected")]
    [InlineData("authz-list,id=a,rules.0.match=x", "Parameter 'rules.0.policy' is missing")]
    [InlineData("authz-list,id=a,rules.0.match=x,rules.0.policy=allow,rules.0.format=regex", "Parameter 'rules.0.format' does not accept value 'regex'")]
    [InlineData("authz-simple,id=a,identity=x,policy=allow", "Parameter 'policy' is unexpected")]
    public void BadTlsObjectsAreRefused(string argument, string message)
    {
        Assert.Equal(message, Error("object", argument));
    }

    [Fact]
    public void NbdServerTakesTlsCredsAndAuthz()
    {
        var options = Step<StartNbdServerStep>("nbd-server", "addr.type=inet,addr.host=127.0.0.1,addr.port=0,tls-creds=tls0,tls-authz=auth0").Options;
        Assert.Equal("tls0", options.TlsCreds);
        Assert.Equal("auth0", options.TlsAuthz);
    }

    [Fact]
    public async Task TheHostServesNbdOverTlsFromItsCommandLine()
    {
        using var pki = new TestPki();
        var ca = TestPki.CreateCa("Test CA");
        string serverDir = pki.ServerDir(ca, TestPki.Server(ca));
        string socket = Path.Combine(pki.Root, "host.sock");
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var stop = new CancellationTokenSource();
        PeerProcess.Result? plain = null;
        var host = Task.Run(() => HostRunner.Run(
            [
                "--object", $"tls-creds-x509,id=tls0,dir={serverDir},endpoint=server,verify-peer=on",
                "--object", "authz-list,id=auth0,rules.0.match=*,,CN=allowed.example.com,rules.0.policy=allow,rules.0.format=glob",
                "--blockdev", "driver=memory,node-name=disk,size=4M",
                "--nbd-server", $"addr.type=unix,addr.path={socket},tls-creds=tls0,tls-authz=auth0",
                "--export", "type=nbd,id=exp,node-name=disk",
            ], output, error, stop.Token));
        try
        {
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (!File.Exists(socket) && !host.IsCompleted && waited.Elapsed < TimeSpan.FromSeconds(10))
            {
                Thread.Sleep(20);
            }

            Assert.True(File.Exists(socket), $"the host did not start serving: {error}");
            string allowed = pki.ClientDir(ca, TestPki.Client(ca, "allowed.example.com"), "allowed");
            string denied = pki.ClientDir(ca, TestPki.Client(ca, "denied.example.com"), "denied");
            var size = PeerProcess.Run(Peer.NbdInfo, ["--size", $"nbds+unix:///disk?socket={socket}&tls-certificates={allowed}"], TimeSpan.FromSeconds(30))
                .Check("nbdinfo against the host over TLS");
            Assert.Equal("4194304", size.Stdout.Trim());
            Assert.NotEqual(0, PeerProcess.Run(Peer.NbdInfo, ["--size", $"nbds+unix:///disk?socket={socket}&tls-certificates={denied}"], TimeSpan.FromSeconds(30)).ExitCode);
            plain = PeerProcess.Run(Peer.NbdInfo, ["--size", $"nbd+unix:///disk?socket={socket}"], TimeSpan.FromSeconds(30));
            Assert.NotEqual(0, plain.ExitCode);

            // Stopping drops whoever is still connected without a report: let the server finish with the denied client.
            SpinWait.SpinUntil(() => error.ToString().Contains('\n'), TimeSpan.FromSeconds(10));
        }
        finally
        {
            stop.Cancel();
        }

        Assert.Equal(0, await host.WaitAsync(TimeSpan.FromSeconds(20)));

        // The host prints the refused client with the reason. The plain client is not an error: told TLS is required,
        // nbdinfo says NBD_OPT_ABORT and leaves (without waiting for the ACK, which is no error either).
        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected 1 report, got:\n{error}\nthe plain client said: {plain?.Stderr}");
        Assert.StartsWith("exportps-host: NBD client unix socket dropped: TLS: TLS x509 authz check for ", lines[0]);
    }
}
