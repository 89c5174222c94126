using ExportPS.Engine.Model;
using ExportPS.Host.CommandLine;
using Xunit;
using static ExportPS.Host.Tests.HostParsing;

namespace ExportPS.Host.Tests;

public class NbdServerParserTests
{
    private static NbdServerOptions Server(string argument) => Step<StartNbdServerStep>("nbd-server", argument).Options;

    [Fact]
    public void Inet_address_and_max_connections()
    {
        var options = Server("addr.type=inet,addr.host=127.0.0.1,addr.port=10810,max-connections=16");

        Assert.Equal(SocketAddressKind.Inet, options.Address.Kind);
        Assert.Equal("127.0.0.1", options.Address.Host);
        Assert.Equal(10810, options.Address.Port);
        Assert.Equal(16u, options.MaxConnections);
        Assert.Null(options.TlsCreds);
    }

    [Fact]
    public void Unix_address_and_unlimited_connections_by_default()
    {
        var options = Server("addr.type=unix,addr.path=/tmp/d,,x/nbd.sock");

        Assert.Equal(SocketAddressKind.Unix, options.Address.Kind);
        Assert.Equal("/tmp/d,x/nbd.sock", options.Address.Path);
        Assert.Equal(0u, options.MaxConnections);
    }

    [Theory]
    [InlineData("::1")]
    [InlineData("localhost")]
    public void Host_is_taken_as_given(string host)
    {
        Assert.Equal(host, Server($"addr.type=inet,addr.host={host},addr.port=0").Address.Host);
    }

    [Fact]
    public void Max_connections_takes_the_full_uint32_range()
    {
        Assert.Equal(uint.MaxValue, Server("addr.type=unix,addr.path=/s,max-connections=4294967295").MaxConnections);
    }

    [Fact]
    public void JSON_form_takes_port_as_a_string_only_as_QEMU_does()
    {
        var text = Server("""{"addr":{"type":"inet","host":"127.0.0.1","port":"10811"},"max-connections":1}""");

        Assert.Equal(10811, text.Address.Port);
        Assert.Equal(1u, text.MaxConnections);
        Assert.Equal("Invalid parameter type for 'addr.port', expected: string",
            Error("nbd-server", """{"addr":{"type":"inet","host":"127.0.0.1","port":10812}}"""));
    }

    [Theory]
    [InlineData("", "Parameter 'addr' is missing")]
    [InlineData("max-connections=1", "Parameter 'addr' is missing")]
    [InlineData("addr=x", "Invalid parameter type for 'addr', expected: object")]
    [InlineData("addr.host=h", "Parameter 'addr.type' is missing")]
    [InlineData("addr.type=foo", "Parameter 'addr.type' does not accept value 'foo'")]
    [InlineData("addr.type=fd,addr.str=3", "Socket address type 'fd' is not supported by ExportPS")]
    [InlineData("addr.type=inet", "Parameter 'addr.host' is missing")]
    [InlineData("addr.type=inet,addr.host=127.0.0.1", "Parameter 'addr.port' is missing")]
    [InlineData("addr.type=inet,addr.host=127.0.0.1,addr.port=x", "Parameter 'addr.port' expects a port number from 0 to 65535, not 'x'")]
    [InlineData("addr.type=inet,addr.host=127.0.0.1,addr.port=65536", "Parameter 'addr.port' expects a port number from 0 to 65535, not '65536'")]
    [InlineData("addr.type=inet,addr.host=127.0.0.1,addr.port=-1", "Parameter 'addr.port' expects a port number from 0 to 65535, not '-1'")]
    [InlineData("addr.type=inet,addr.host=127.0.0.1,addr.port=1,addr.path=/x", "Parameter 'addr.path' is unexpected")]
    [InlineData("addr.type=unix", "Parameter 'addr.path' is missing")]
    [InlineData("addr.type=unix,addr.path=/s,addr.host=h", "Parameter 'addr.host' is unexpected")]
    [InlineData("addr.type=unix,addr.path=/s,max-connections=x", "Parameter 'max-connections' expects integer")]
    [InlineData("addr.type=unix,addr.path=/s,max-connections=-1", "Parameter 'max-connections' expects uint32_t")]
    [InlineData("addr.type=unix,addr.path=/s,max-connections=4294967296", "Parameter 'max-connections' expects uint32_t")]
    [InlineData("addr.type=unix,addr.path=/s,foo=1", "Parameter 'foo' is unexpected")]
    [InlineData("unix,addr.path=/s", "Expected '=' after parameter 'unix'")]
    [InlineData("""{"addr":{"type":"inet","host":"127.0.0.1"}}""", "Parameter 'addr.port' is missing")]
    [InlineData("""{"addr":{"type":"inet","host":"127.0.0.1","port":true}}""", "Invalid parameter type for 'addr.port', expected: string")]
    [InlineData("""{"addr":{"type":"unix","path":"/s"},"max-connections":"4"}""", "Invalid parameter type for 'max-connections', expected: integer")]
    [InlineData("""{"addr":{"type":"unix","path":"/s"},"max-connections":-4}""", "Parameter 'max-connections' expects uint32_t")]
    [InlineData("""{"addr":"unix"}""", "Invalid parameter type for 'addr', expected: object")]
    public void Bad_options_are_refused(string argument, string message)
    {
        Assert.Equal(message, Error("nbd-server", argument));
    }
}
