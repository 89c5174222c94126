using ExportPS.Host.CommandLine;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qapi;
using Xunit;
using static ExportPS.Host.Tests.HostParsing;

namespace ExportPS.Host.Tests;

public class ObjectParserTests
{
    [Theory]
    [InlineData("iothread,id=io0")]
    [InlineData("qom-type=iothread,id=io0")]
    [InlineData("""{"qom-type":"iothread","id":"io0"}""")]
    public void Iothread_in_every_form(string argument)
    {
        Assert.Equal(new IoThreadOptions { Id = "io0" }, Object<IoThreadObjectOptions>(argument).Options);
    }

    [Fact]
    public void Iothread_poll_settings_are_read()
    {
        Assert.Equal(new IoThreadOptions { Id = "io0", PollMaxNs = 0, PollGrow = 4, PollShrink = 2 },
            Object<IoThreadObjectOptions>("iothread,id=io0,poll-max-ns=0,poll-grow=4,poll-shrink=2,aio-max-batch=8").Options);
    }

    [Fact]
    public void Filter_dump_reads_qemus_properties_with_their_defaults()
    {
        Assert.Equal(new NetCaptureOptions { Id = "f0", Netdev = "n0", Path = "/tmp/x.pcap" },
            Object<NetCaptureObjectOptions>("filter-dump,id=f0,netdev=n0,file=/tmp/x.pcap").Options);
        Assert.Equal(
            new NetCaptureOptions
            {
                Id = "f0", Netdev = "n0", Path = "x.pcap", MaxLength = 128, Queue = ExportPS.Engine.Net.NetCaptureDirection.Rx,
                Enabled = false, Position = "id=f1", Insert = NetCaptureInsert.Before,
            },
            Object<NetCaptureObjectOptions>("filter-dump,id=f0,netdev=n0,file=x.pcap,maxlen=128,queue=rx,status=off,position=id=f1,insert=before").Options);
    }

    [Theory]
    [InlineData("filter-dump,id=f0,file=x", "Parameter 'netdev' is missing")]
    [InlineData("filter-dump,id=f0,netdev=n0", "Parameter 'file' is missing")]
    [InlineData("filter-dump,id=f0,netdev=n0,file=x,maxlen=-1", "Parameter 'maxlen' expects uint32_t")]
    [InlineData("filter-dump,id=f0,netdev=n0,file=x,maxlen=4294967295", "Property 'filter-dump.maxlen' doesn't take value '4294967295'")]
    [InlineData("filter-dump,id=f0,netdev=n0,file=x,queue=up", "Parameter 'queue' does not accept value 'up'")]
    [InlineData("filter-dump,id=f0,netdev=n0,file=x,status=yes", "Invalid value for netfilter status, should be 'on' or 'off'")]
    [InlineData("filter-dump,id=f0,netdev=n0,file=x,insert=middle", "Parameter 'insert' does not accept value 'middle'")]
    [InlineData("filter-dump,id=f0,netdev=n0,file=x,bogus=1", "Parameter 'bogus' is unexpected")]
    public void Bad_filter_dumps_are_refused(string argument, string message)
    {
        Assert.Equal(message, Error("object", argument));
    }

    [Theory]
    [InlineData("iothread", "Parameter 'id' is missing")]
    [InlineData("id=x", "Parameter 'qom-type' is missing")]
    [InlineData("foo,id=a", "Parameter 'qom-type' does not accept value 'foo'")]
    [InlineData("tls-creds-anon,id=t", "Object type 'tls-creds-anon' is not supported by ExportPS yet")]
    [InlineData("iothread,id=a,poll-max-ns=x", "Parameter 'poll-max-ns' expects integer")]
    [InlineData("iothread,id=a,poll-max-ns=-1", "poll-max-ns value must be in range [0, 9223372036854775807]")]
    [InlineData("authz-simple,id=a", "Parameter 'identity' is missing")]
    [InlineData("authz-listfile,id=a", "Parameter 'filename' is missing")]
    [InlineData("authz-list,id=a,rules.0=x", "Invalid parameter type for 'rules.0', expected: object")]
    [InlineData("""{"qom-type":"authz-list","id":"a","rules":["x"]}""", "Invalid parameter type for 'rules[0]', expected: object")]
    [InlineData("iothread,id=a,help", "Help is not available for this option")]
    [InlineData("""{"qom-type":"iothread"}""", "Parameter 'id' is missing")]
    public void Bad_objects_are_refused(string argument, string message)
    {
        Assert.Equal(message, Error("object", argument));
    }
}
