using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qmp;
using ExportPS.Engine.Tests.Tls;
using Xunit;

namespace ExportPS.Engine.Tests.Qmp;

/// <summary>object-add / object-del of TLS credentials and authz objects over QMP, and the x-query-tls-creds / x-query-authz extensions.</summary>
public sealed class QmpTlsObjectTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly TestPki _pki = new();
    private readonly X509Certificate2 _ca = TestPki.CreateCa("Test CA");
    private readonly ExportEngine _engine = new();
    private readonly QmpServer _server;
    private readonly RawQmpConnection _client;

    public QmpTlsObjectTests()
    {
        _server = QmpServer.Start(_engine, _dir.File("qmp.sock"), nbdStopGracePeriod: TimeSpan.FromSeconds(1));
        _client = RawQmpConnection.OpenNegotiated(_server.SocketPath);
    }

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
        _engine.Dispose();
        _pki.Dispose();
        _dir.Dispose();
    }

    private JsonElement Ok(string request)
    {
        var reply = _client.Execute(request);
        Assert.True(reply.TryGetProperty("return", out var result), $"expected success for {request}, got {reply}");
        return result;
    }

    private JsonElement Error(string request, string desc)
    {
        var reply = _client.Execute(request);
        Assert.True(reply.TryGetProperty("error", out var error), $"expected an error for {request}, got {reply}");
        Assert.Equal("GenericError", error.GetProperty("class").GetString());
        Assert.Equal(desc, error.GetProperty("desc").GetString());
        return error;
    }

    private static string Quoted(string text) => JsonSerializer.Serialize(text);

    [Fact]
    public void Tls_creds_x509_is_added_with_QEMUs_members_listed_and_deleted()
    {
        string dir = _pki.ServerDir(_ca, TestPki.Server(_ca));
        Ok($$$"""{"execute":"object-add","arguments":{"qom-type":"tls-creds-x509","id":"tls0","dir":{{{Quoted(dir)}}},"endpoint":"server","verify-peer":false}}""");

        var listed = Ok("""{"execute":"x-query-tls-creds"}""").EnumerateArray().Single();
        Assert.Equal("tls0", listed.GetProperty("id").GetString());
        Assert.Equal("x509", listed.GetProperty("type").GetString());
        Assert.Equal("server", listed.GetProperty("endpoint").GetString());
        Assert.Equal(dir, listed.GetProperty("dir").GetString());
        Assert.False(listed.GetProperty("verify-peer").GetBoolean());
        Assert.Equal("C=GB,O=ExportPS Test,CN=localhost", listed.GetProperty("subject").GetString());
        Assert.False(listed.GetProperty("in-use").GetBoolean());

        Ok("""{"execute":"object-del","arguments":{"id":"tls0"}}""");
        Assert.Equal(0, Ok("""{"execute":"x-query-tls-creds"}""").GetArrayLength());
        Assert.Empty(_engine.GetTlsCreds());
    }

    [Fact]
    public void Tls_creds_x509_endpoint_defaults_to_client_as_in_QEMU()
    {
        string dir = _pki.ClientDir(_ca, TestPki.Client(_ca));
        Ok($$$"""{"execute":"object-add","arguments":{"qom-type":"tls-creds-x509","id":"c0","dir":{{{Quoted(dir)}}}}}""");
        var creds = _engine.GetTlsCreds().Single();
        Assert.Equal((TlsCredsEndpoint.Client, true), (creds.Endpoint, creds.VerifyPeer));
    }

    [Fact]
    public void Tls_creds_errors_have_QEMUs_texts_and_the_engines_ids()
    {
        Assert.Equal("InvalidTlsCreds", Error("""{"execute":"object-add","arguments":{"qom-type":"tls-creds-x509","id":"t0"}}""",
            "Missing 'dir' property value").GetProperty("x-error-id").GetString());
        string missing = _dir.File("nope");
        Error($$$"""{"execute":"object-add","arguments":{"qom-type":"tls-creds-x509","id":"t0","dir":{{{Quoted(missing)}}},"endpoint":"server"}}""",
            $"Unable to access credentials {missing}/ca-cert.pem: No such file or directory");
        Error("""{"execute":"object-add","arguments":{"qom-type":"tls-creds-x509","id":"t0","dir":"/x","endpoint":"bogus"}}""",
            "Parameter 'endpoint' does not accept value 'bogus'");
        Error("""{"execute":"object-add","arguments":{"qom-type":"tls-creds-x509","id":"t0","dir":"/x","verify-peer":"yes"}}""",
            "Invalid parameter type for 'verify-peer', expected: boolean");
        Error("""{"execute":"object-add","arguments":{"qom-type":"tls-creds-x509","id":"t0","dir":"/x","foo":1}}""",
            "Parameter 'foo' is unexpected");
        Assert.Empty(_engine.GetTlsCreds());
    }

    [Fact]
    public void Tls_creds_psk_is_refused_with_the_engines_NotSupported_error()
    {
        var error = _client.Execute($$$"""{"execute":"object-add","arguments":{"qom-type":"tls-creds-psk","id":"p0","dir":{{{Quoted(_dir.Path)}}},"username":"u","endpoint":"server"}}""")
            .GetProperty("error");
        Assert.Equal("TlsCredsNotSupported", error.GetProperty("x-error-id").GetString());
        Assert.Equal("NotSupported", error.GetProperty("x-category").GetString());
        Assert.Contains("tls-creds-psk", error.GetProperty("desc").GetString());
        Assert.Empty(_engine.GetTlsCreds());
    }

    [Fact]
    public void Authz_list_takes_policy_and_rules_and_lists_them_back()
    {
        Ok("""{"execute":"object-add","arguments":{"qom-type":"authz-list","id":"a0","policy":"allow","rules":[{"match":"CN=*.example.com","policy":"deny","format":"glob"},{"match":"CN=x","policy":"allow"}]}}""");
        var info = _engine.GetAuthz().Single();
        Assert.Equal((AuthzType.List, AuthzPolicy.Allow), (info.Type, info.Policy));
        Assert.Equal(
            [new AuthzListRule { Match = "CN=*.example.com", Policy = AuthzPolicy.Deny, Format = AuthzListFormat.Glob }, new AuthzListRule { Match = "CN=x", Policy = AuthzPolicy.Allow }],
            info.Rules);

        var listed = Ok("""{"execute":"x-query-authz"}""").EnumerateArray().Single();
        Assert.Equal("list", listed.GetProperty("type").GetString());
        Assert.Equal("allow", listed.GetProperty("policy").GetString());
        var rule = listed.GetProperty("rules")[0];
        Assert.Equal(("CN=*.example.com", "deny", "glob"),
            (rule.GetProperty("match").GetString(), rule.GetProperty("policy").GetString(), rule.GetProperty("format").GetString()));

        Ok("""{"execute":"object-add","arguments":{"qom-type":"authz-list","id":"a1"}}""");
        Assert.Equal((AuthzPolicy.Deny, 0), (_engine.GetAuthz().Single(a => a.Id == "a1").Policy, _engine.GetAuthz().Single(a => a.Id == "a1").Rules.Length));
    }

    [Theory]
    [InlineData("""{"qom-type":"authz-list","id":"a0","rules":[{"policy":"deny"}]}""", "Parameter 'rules[0].match' is missing")]
    [InlineData("""{"qom-type":"authz-list","id":"a0","rules":[{"match":"x"}]}""", "Parameter 'rules[0].policy' is missing")]
    [InlineData("""{"qom-type":"authz-list","id":"a0","rules":[{"match":"x","policy":"allow","format":"regex"}]}""", "Parameter 'rules[0].format' does not accept value 'regex'")]
    [InlineData("""{"qom-type":"authz-list","id":"a0","rules":[{"match":"x","policy":"allow","x":1}]}""", "Parameter 'rules[0].x' is unexpected")]
    [InlineData("""{"qom-type":"authz-list","id":"a0","rules":["x"]}""", "Invalid parameter type for 'rules[0]', expected: object")]
    [InlineData("""{"qom-type":"authz-list","id":"a0","policy":"x"}""", "Parameter 'policy' does not accept value 'x'")]
    [InlineData("""{"qom-type":"authz-simple","id":"a0"}""", "Parameter 'identity' is missing")]
    [InlineData("""{"qom-type":"authz-listfile","id":"a0"}""", "Parameter 'filename' is missing")]
    [InlineData("""{"qom-type":"authz-listfile","id":"a0","filename":"rel.json"}""", "Filename must be an absolute path")]
    public void Bad_authz_arguments_get_QEMUs_texts(string arguments, string desc)
    {
        Error($$$"""{"execute":"object-add","arguments":{{{arguments}}}}""", desc);
        Assert.Empty(_engine.GetAuthz());
    }

    [Fact]
    public void Authz_simple_and_listfile_are_added_and_object_del_removes_any_object()
    {
        string file = _dir.File("acl.json");
        File.WriteAllText(file, """{"policy":"allow","rules":[{"match":"CN=bad","policy":"deny"}]}""");
        Ok("""{"execute":"object-add","arguments":{"qom-type":"authz-simple","id":"s0","identity":"CN=client"}}""");
        Ok($$$"""{"execute":"object-add","arguments":{"qom-type":"authz-listfile","id":"f0","filename":{{{Quoted(file)}}},"refresh":false}}""");
        Ok("""{"execute":"object-add","arguments":{"qom-type":"iothread","id":"io0"}}""");
        Error("""{"execute":"object-add","arguments":{"qom-type":"authz-simple","id":"s0","identity":"CN=x"}}""",
            "attempt to add duplicate property 's0' to object (type 'container')");

        var listFile = _engine.GetAuthz().Single(a => a.Id == "f0");
        Assert.Equal((AuthzType.ListFile, file, false, AuthzPolicy.Allow, "CN=bad"),
            (listFile.Type, listFile.Filename, listFile.Refresh, listFile.Policy, listFile.Rules.Single().Match));
        Assert.Equal("CN=client", _engine.GetAuthz().Single(a => a.Id == "s0").Identity);
        Assert.Equal("list-file", Ok("""{"execute":"x-query-authz"}""").EnumerateArray().Single(a => a.GetProperty("id").GetString() == "f0").GetProperty("type").GetString());

        Ok("""{"execute":"object-del","arguments":{"id":"s0"}}""");
        Ok("""{"execute":"object-del","arguments":{"id":"f0"}}""");
        Assert.Empty(_engine.GetAuthz());
        Error("""{"execute":"object-del","arguments":{"id":"s0"}}""", "object 's0' not found");

        // iothreads still go through object-del.
        Ok("""{"execute":"object-del","arguments":{"id":"io0"}}""");
        Assert.Empty(_engine.GetIoThreads());
    }

    [Fact]
    public void Nbd_server_start_passes_tls_creds_and_tls_authz_and_the_credentials_stay_while_in_use()
    {
        string dir = _pki.ServerDir(_ca, TestPki.Server(_ca));
        Ok($$$"""{"execute":"object-add","arguments":{"qom-type":"tls-creds-x509","id":"tls0","dir":{{{Quoted(dir)}}},"endpoint":"server"}}""");
        Ok("""{"execute":"object-add","arguments":{"qom-type":"authz-simple","id":"auth0","identity":"CN=client"}}""");
        Error("""{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","data":{"path":"/tmp/x.sock"}},"tls-authz":"auth0"}}""",
            "tls-authz is not permitted without tls-creds");
        Ok($$$"""{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","data":{"path":{{{Quoted(_dir.File("nbd.sock"))}}}}},"tls-creds":"tls0","tls-authz":"auth0"}}""");

        var server = _engine.GetNbdServer();
        Assert.Equal(("tls0", "auth0"), (server.TlsCreds, server.TlsAuthz));
        Assert.True(Ok("""{"execute":"x-query-tls-creds"}""")[0].GetProperty("in-use").GetBoolean());
        var inUse = Error("""{"execute":"object-del","arguments":{"id":"tls0"}}""", "object 'tls0' is in use, can not be deleted");
        Assert.Equal("ObjectInUse", inUse.GetProperty("x-error-id").GetString());

        // An authz may go while the server runs: connections look it up by id.
        Ok("""{"execute":"object-del","arguments":{"id":"auth0"}}""");
        Ok("""{"execute":"nbd-server-stop"}""");
        Ok("""{"execute":"object-del","arguments":{"id":"tls0"}}""");
        Assert.Empty(_engine.GetTlsCreds());
    }
}
