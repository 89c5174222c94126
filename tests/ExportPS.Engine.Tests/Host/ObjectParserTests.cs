using ExportPS.Host.CommandLine;
using Xunit;
using static ExportPS.Engine.Tests.Host.HostParsing;

namespace ExportPS.Engine.Tests.Host;

public class ObjectParserTests
{
    [Theory]
    [InlineData("iothread,id=io0")]
    [InlineData("qom-type=iothread,id=io0")]
    [InlineData("""{"qom-type":"iothread","id":"io0"}""")]
    public void Iothread_in_every_form(string argument)
    {
        Assert.Equal("io0", Step<AddIoThreadStep>("object", argument).Id);
    }

    [Theory]
    [InlineData("iothread", "Parameter 'id' is missing")]
    [InlineData("id=x", "Parameter 'qom-type' is missing")]
    [InlineData("foo,id=a", "Parameter 'qom-type' does not accept value 'foo'")]
    [InlineData("tls-creds-anon,id=t", "Parameter 'qom-type' does not accept value 'tls-creds-anon'")]
    [InlineData("iothread,id=a,poll-max-ns=0", "Parameter 'poll-max-ns' is unexpected")]
    [InlineData("iothread,id=a,help", "Help is not available for this option")]
    [InlineData("""{"qom-type":"iothread"}""", "Parameter 'id' is missing")]
    public void Bad_objects_are_refused(string argument, string message)
    {
        Assert.Equal(message, Error("object", argument));
    }
}
