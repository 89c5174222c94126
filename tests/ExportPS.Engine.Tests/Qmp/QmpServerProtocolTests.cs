using Xunit;
using System.Text;
using System.Text.Json;
using ExportPS.Engine.Qmp;

namespace ExportPS.Engine.Tests.Qmp;

public sealed class QmpServerProtocolTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ExportEngine _engine = new();
    private readonly QmpServer _server;

    public QmpServerProtocolTests()
    {
        _server = QmpServer.Start(_engine, _dir.File("qmp.sock"), maxMessageBytes: 64 * 1024);
    }

    public void Dispose()
    {
        _server.Dispose();
        _engine.Dispose();
        _dir.Dispose();
    }

    private RawQmpConnection Negotiated() => RawQmpConnection.OpenNegotiated(_server.SocketPath);

    private static void AssertError(JsonElement reply, string errorClass, string desc)
    {
        Assert.True(reply.TryGetProperty("error", out var error), $"expected an error, got {reply}");
        Assert.Equal(errorClass, error.GetProperty("class").GetString());
        Assert.Equal(desc, error.GetProperty("desc").GetString());
    }

    [Fact]
    public void Greeting_names_the_version_and_offers_no_capabilities()
    {
        using var client = RawQmpConnection.Open(_server.SocketPath);
        var qmp = client.Read().GetProperty("QMP");
        var version = qmp.GetProperty("version");
        Assert.Equal(7, version.GetProperty("qemu").GetProperty("major").GetInt32());
        Assert.StartsWith("ExportPS ", version.GetProperty("package").GetString());
        Assert.Equal(0, qmp.GetProperty("capabilities").GetArrayLength());
    }

    [Fact]
    public void Only_qmp_capabilities_is_accepted_before_negotiation_and_only_once()
    {
        using var client = RawQmpConnection.Open(_server.SocketPath);
        client.Read();
        AssertError(client.Execute("""{"execute":"query-block-exports"}"""), "CommandNotFound",
            "Expecting capabilities negotiation with 'qmp_capabilities'");
        AssertError(client.Execute("""{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}"""), "GenericError",
            "Capability 'oob' not available");
        Assert.Equal(JsonValueKind.Object, client.Execute("""{"execute":"qmp_capabilities"}""").GetProperty("return").ValueKind);
        AssertError(client.Execute("""{"execute":"qmp_capabilities"}"""), "CommandNotFound",
            "Capabilities negotiation is already complete, command ignored");
        Assert.Equal(0, client.Execute("""{"execute":"query-block-exports"}""").GetProperty("return").GetArrayLength());
    }

    [Theory]
    [InlineData("\"abc\"")]
    [InlineData("42")]
    [InlineData("{\"a\":[1,{\"b\":null}]}")]
    [InlineData("null")]
    public void The_id_is_echoed_verbatim_on_success_and_on_error(string id)
    {
        using var client = Negotiated();
        var ok = client.Execute($$"""{"execute":"query-block-exports","id":{{id}}}""");
        Assert.Equal(id, ok.GetProperty("id").GetRawText());
        var failed = client.Execute($$"""{"execute":"no-such-command","id":{{id}}}""");
        Assert.Equal(id, failed.GetProperty("id").GetRawText());
        Assert.False(client.Execute("""{"execute":"query-block-exports"}""").TryGetProperty("id", out _));
    }

    [Theory]
    [InlineData("""{"execute":"no-such-command"}""", "CommandNotFound", "The command no-such-command has not been found")]
    [InlineData("""{"execute":"block-export-del","arguments":{}}""", "GenericError", "Parameter 'id' is missing")]
    [InlineData("""{"execute":"block-export-del","arguments":{"id":"e","extra":1}}""", "GenericError", "Parameter 'extra' is unexpected")]
    [InlineData("""{"execute":"block-export-del","arguments":{"id":5}}""", "GenericError", "Invalid parameter type for 'id', expected: string")]
    [InlineData("""{"execute":"block-export-del","arguments":{"id":"e","mode":"bogus"}}""", "GenericError", "Parameter 'mode' does not accept value 'bogus'")]
    [InlineData("""{"execute":"query-block-exports","arguments":{"x":{"y":1}}}""", "GenericError", "Parameter 'x' is unexpected")]
    [InlineData("""{"execute":"nbd-server-start","arguments":{"addr":{"type":"inet","data":{"host":"127.0.0.1","port":0}}}}""", "GenericError", "Invalid parameter type for 'addr.data.port', expected: string")]
    [InlineData("""{"execute":"nbd-server-start","arguments":{"addr":{"type":"inet","data":{"host":"127.0.0.1"}}}}""", "GenericError", "Parameter 'addr.data.port' is missing")]
    [InlineData("""{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","data":{"path":"/x","x":1}}}}""", "GenericError", "Parameter 'addr.data.x' is unexpected")]
    [InlineData("""{"execute":"block-export-add","arguments":{"type":"nbd","id":"e","node-name":"n","bitmaps":[{"node":"n"}]}}""", "GenericError", "Parameter 'bitmaps[0].name' is missing")]
    [InlineData("""{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"n","size":"big"}}""", "GenericError", "Invalid parameter type for 'size', expected: integer")]
    [InlineData("""{"execute":"blockdev-add","arguments":{"driver":"qcow2","node-name":"n"}}""", "GenericError", "Parameter 'driver' does not accept value 'qcow2'")]
    [InlineData("""{"execute":"blockdev-add","arguments":{"driver":"null-co","size":512}}""", "GenericError", "'node-name' must be specified for the root node")]
    [InlineData("""{"execute":"object-add","arguments":{"qom-type":"tls-creds-x509","id":"t0"}}""", "GenericError", "Missing 'dir' property value")]
    [InlineData("""{"execute":"object-add","arguments":{"qom-type":"secret","id":"s0"}}""", "GenericError", "Object type 'secret' is not supported by ExportPS yet")]
    [InlineData("""{"execute":"block-export-del","arguments":{"id":"nope"}}""", "GenericError", "Export 'nope' is not found")]
    [InlineData("""{"execute":"query-block-exports","bogus":1}""", "GenericError", "QMP input member 'bogus' is unexpected")]
    [InlineData("""{"arguments":{}}""", "GenericError", "QMP input lacks member 'execute'")]
    [InlineData("""{"execute":1}""", "GenericError", "QMP input member 'execute' must be a string")]
    [InlineData("""{"execute":"query-block-exports","arguments":[]}""", "GenericError", "QMP input member 'arguments' must be an object")]
    [InlineData("""[{"execute":"query-block-exports"}]""", "GenericError", "QMP input must be a JSON object")]
    [InlineData("""{"execute":"block-export-del","arguments":{"id":"a","id":"b"}}""", "GenericError", "JSON parse error, duplicate key")]
    public void Bad_requests_get_QEMUs_error_class_and_text(string request, string errorClass, string desc)
    {
        using var client = Negotiated();
        AssertError(client.Execute(request), errorClass, desc);
    }

    [Fact]
    public void Engine_errors_carry_their_id_and_category_as_extensions()
    {
        using var client = Negotiated();
        var error = client.Execute("""{"execute":"blockdev-del","arguments":{"node-name":"nope"}}""").GetProperty("error");
        Assert.Equal("GenericError", error.GetProperty("class").GetString());
        Assert.Equal("BlockNodeNotFound", error.GetProperty("x-error-id").GetString());
        Assert.Equal("NotFound", error.GetProperty("x-category").GetString());
    }

    [Fact]
    public void Malformed_json_is_a_GenericError_and_the_connection_keeps_working()
    {
        using var client = Negotiated();
        AssertError(client.Execute("not "), "GenericError", "JSON parse error, invalid keyword 'not'");
        AssertError(client.Execute("}"), "GenericError", "JSON parse error, expecting value");
        var reply = client.Execute("""{"execute": tru}""");
        Assert.StartsWith("JSON parse error, ", reply.GetProperty("error").GetProperty("desc").GetString());
        Assert.Equal(0, client.Execute("""{"execute":"query-block-exports"}""").GetProperty("return").GetArrayLength());
    }

    [Fact]
    public void Bytes_that_are_not_utf8_are_a_json_parse_error()
    {
        using var client = Negotiated();
        // The fuzzer's find: an invalid byte in a member name used to fail later, when the name was read.
        client.Send([.. "{\"execute\":\"query-block-exports\",\"a"u8, 0xff, .. "\":1}"u8]);
        AssertError(client.ReadReply(), "GenericError", "JSON parse error, invalid UTF-8 sequence");
        Assert.Equal(0, client.Execute("""{"execute":"query-block-exports"}""").GetProperty("return").GetArrayLength());
    }

    [Fact]
    public void Messages_need_no_newline_and_may_span_lines_and_writes()
    {
        using var client = Negotiated();
        client.Send("""{"execute":"query-block-exports","id":1}{"execute":"query-block-exports","id":2}""");
        Assert.Equal(1, client.ReadReply().GetProperty("id").GetInt32());
        Assert.Equal(2, client.ReadReply().GetProperty("id").GetInt32());
        client.Send("{\"execute\":\n\"query-block-");
        Thread.Sleep(50);
        client.Send("exports\", \"id\": \"}{\"\n}\r\n");
        Assert.Equal("}{", client.ReadReply().GetProperty("id").GetString());
    }

    [Fact]
    public void An_oversized_message_is_refused_and_the_next_one_is_served()
    {
        using var client = Negotiated();
        string huge = $$"""{"execute":"query-block-exports","id":"{{new string('x', 200 * 1024)}}"}""";
        client.Send(huge + """{"execute":"query-block-exports","id":7}""");
        AssertError(client.ReadReply(), "GenericError", $"JSON parse error, message exceeds {64 * 1024} bytes");
        Assert.Equal(7, client.ReadReply().GetProperty("id").GetInt32());
    }

    [Fact]
    public async Task A_flooding_client_does_not_slow_or_break_another()
    {
        using var flooder = Negotiated();
        using var other = Negotiated();

        // 8 MiB of one endless message (bounded by the server) plus many commands whose replies it never reads.
        var junk = Encoding.ASCII.GetBytes("{\"execute\":\"" + new string('a', 1024 * 1024));
        var flood = Task.Run(() =>
        {
            try
            {
                for (int i = 0; i < 8; i++)
                {
                    flooder.Send(junk);
                }

                flooder.Send("\"}");
                for (int i = 0; i < 20_000; i++)
                {
                    flooder.Send("""{"execute":"query-block-exports"}""");
                }
            }
            catch (System.Net.Sockets.SocketException)
            {
                // The server may drop a client that never reads its replies: that is the point.
            }
        });

        for (int i = 0; i < 50; i++)
        {
            Assert.Equal(i, other.Execute($$"""{"execute":"query-block-exports","id":{{i}}}""").GetProperty("id").GetInt32());
        }

        Assert.True(await Task.WhenAny(flood, Task.Delay(TimeSpan.FromSeconds(30))) == flood, "the flooding client was blocked for more than 30 s");
        Assert.Equal(0, other.Execute("""{"execute":"query-block-exports"}""").GetProperty("return").GetArrayLength());
    }

    [Fact]
    public void A_client_that_disconnects_mid_message_leaves_others_working()
    {
        using var other = Negotiated();
        for (int i = 0; i < 20; i++)
        {
            using var quitter = Negotiated();
            quitter.Send("""{"execute":"blockdev-add","arguments":{"driver":"null-co","node-""");
        }

        Assert.Equal(0, other.Execute("""{"execute":"query-named-block-nodes"}""").GetProperty("return").GetArrayLength());
        using var late = Negotiated();
        Assert.Equal(JsonValueKind.Array, late.Execute("""{"execute":"query-block-exports"}""").GetProperty("return").ValueKind);
    }

    [Fact]
    public void Several_monitors_are_independent()
    {
        using var negotiated = Negotiated();
        using var fresh = RawQmpConnection.Open(_server.SocketPath);
        fresh.Read();
        Assert.True(negotiated.Execute("""{"execute":"query-block-exports"}""").TryGetProperty("return", out _));
        AssertError(fresh.Execute("""{"execute":"query-block-exports"}"""), "CommandNotFound",
            "Expecting capabilities negotiation with 'qmp_capabilities'");
    }

    [Fact]
    public void Query_commands_lists_every_command_served()
    {
        using var client = Negotiated();
        var names = client.Execute("""{"execute":"query-commands"}""").GetProperty("return").EnumerateArray()
            .Select(c => c.GetProperty("name").GetString()).ToHashSet();
        string[] expected =
        [
            "qmp_capabilities", "query-commands", "quit", "nbd-server-start", "nbd-server-stop", "nbd-server-add", "nbd-server-remove",
            "block-export-add", "block-export-del", "query-block-exports", "blockdev-add", "blockdev-del", "query-named-block-nodes",
            "block-dirty-bitmap-add", "block-dirty-bitmap-remove", "block-dirty-bitmap-clear", "block-dirty-bitmap-enable",
            "block-dirty-bitmap-disable", "block-dirty-bitmap-merge", "object-add", "object-del", "query-iothreads",
            "x-query-tls-creds", "x-query-authz",
        ];
        Assert.Empty(expected.Except(names!));
    }

    [Fact]
    public void Quit_answers_then_raises_QuitRequested()
    {
        using var quitRequested = new ManualResetEventSlim();
        _server.QuitRequested += (_, _) => quitRequested.Set();
        using var client = Negotiated();
        var reply = client.Execute("""{"execute":"quit","id":"bye"}""");
        Assert.Equal("bye", reply.GetProperty("id").GetString());
        Assert.True(quitRequested.Wait(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Disposing_the_server_closes_clients_and_removes_the_socket()
    {
        using var client = Negotiated();
        _server.Dispose();
        Assert.True(client.WaitForClose(TimeSpan.FromSeconds(5)));
        Assert.False(File.Exists(_server.SocketPath));
    }
}
