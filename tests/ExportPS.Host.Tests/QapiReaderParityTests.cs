using System.Text.Json;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qapi;
using Xunit;

namespace ExportPS.Host.Tests;

/// <summary>
/// A command-line option in keyval form and the same options as QMP arguments give the same record, defaults included:
/// both go through one reader per record kind.
/// </summary>
public sealed class QapiReaderParityTests
{
    [Theory]
    [InlineData("driver=null-aio,node-name=n", """{"driver":"null-aio","node-name":"n"}""")]
    [InlineData("driver=null-co,node-name=n,size=4096,read-zeroes=off", """{"driver":"null-co","node-name":"n","size":4096,"read-zeroes":false}""")]
    [InlineData("driver=file,node-name=f,filename=/x,cache.direct=on,read-only=on", """{"driver":"file","node-name":"f","filename":"/x","cache":{"direct":true},"read-only":true}""")]
    [InlineData("driver=memory,node-name=m,size=1M,compression=lz4,backing=b", """{"driver":"memory","node-name":"m","size":1048576,"compression":"lz4","backing":"b"}""")]
    [InlineData("driver=raw,node-name=r,file=f", """{"driver":"raw","node-name":"r","file":"f"}""")]
    [InlineData(
        "driver=null-co,node-name=n,discard=unmap,cache.no-flush=on,read-only=on,force-share=on,detect-zeroes=unmap",
        """{"driver":"null-co","node-name":"n","discard":"unmap","cache":{"no-flush":true},"read-only":true,"force-share":true,"detect-zeroes":"unmap"}""")]
    public void Blockdev_and_blockdev_add_give_the_same_node(string keyval, string qmp)
    {
        var fromCommandLine = HostParsing.Step<ExportPS.Host.CommandLine.AddBlockNodeStep>("blockdev", keyval).Options;

        Assert.Equal(fromCommandLine, BlockNodeOptionsReader.Read(Arguments(qmp)));
    }

    [Fact]
    public void Null_reads_zeroes_unless_told_otherwise_in_both_forms()
    {
        Assert.True(HostParsing.Step<ExportPS.Host.CommandLine.AddBlockNodeStep>("blockdev", "null-co,node-name=n").Options.ReadZeroes);
        Assert.True(BlockNodeOptionsReader.Read(Arguments("""{"driver":"null-co","node-name":"n"}""")).ReadZeroes);
    }

    [Fact]
    public void Export_and_block_export_add_give_the_same_export()
    {
        var fromCommandLine = HostParsing.Step<ExportPS.Host.CommandLine.AddBlockExportStep>("export",
            "type=nbd,id=e,node-name=n,writable=on,name=x,bitmaps.0=a,bitmaps.1.node=m,bitmaps.1.name=b").Options;
        var fromQmp = BlockExportOptionsReader.Read(Arguments(
            """{"type":"nbd","id":"e","node-name":"n","writable":true,"name":"x","bitmaps":["a",{"node":"m","name":"b"}]}"""));

        Assert.Equal(fromCommandLine with { Nbd = null! }, fromQmp with { Nbd = null! });
        Assert.Equal(["a", "m/b"], fromQmp.Nbd.Bitmaps);
        Assert.Equal(fromCommandLine.Nbd.Bitmaps, fromQmp.Nbd.Bitmaps);
        Assert.Equal(fromCommandLine.Nbd with { Bitmaps = [] }, fromQmp.Nbd with { Bitmaps = [] });
    }

    [Fact]
    public void Fuse_exports_read_the_same_in_both_forms_and_are_refused_with_one_text()
    {
        var fromCommandLine = HostParsing.Step<ExportPS.Host.CommandLine.AddBlockExportStep>("export",
            "type=fuse,id=e,node-name=n,mountpoint=/m,growable=on,allow-other=off").Options;
        var fromQmp = BlockExportOptionsReader.Read(Arguments(
            """{"type":"fuse","id":"e","node-name":"n","mountpoint":"/m","growable":true,"allow-other":"off"}"""));

        Assert.Equal(fromCommandLine with { Nbd = null!, Fuse = null }, fromQmp with { Nbd = null!, Fuse = null });
        Assert.Equal(new FuseExportOptions { MountPoint = "/m", Growable = true, AllowOther = FuseExportAllowOther.Off }, fromQmp.Fuse);
        Assert.Equal(fromCommandLine.Fuse, fromQmp.Fuse);

        string commandLine = HostParsing.Error("export", "type=fuse,id=e,node-name=n");
        var qmp = Assert.Throws<ExportPS.Engine.Errors.EngineException>(() => BlockExportOptionsReader.Read(Arguments("""{"type":"fuse","id":"e","node-name":"n"}""")));
        Assert.Equal("Parameter 'mountpoint' is missing", commandLine);
        Assert.Equal(commandLine, qmp.Message);
    }

    [Fact]
    public void Objects_read_the_same_in_both_forms()
    {
        var psk = HostParsing.Object<TlsCredsObjectOptions>("tls-creds-psk,id=p,dir=/d,username=u,verify-peer=off,endpoint=server");
        var fromQmp = UserObjectOptionsReader.Read(Arguments(
            """{"qom-type":"tls-creds-psk","id":"p","dir":"/d","username":"u","verify-peer":false,"endpoint":"server"}"""));

        Assert.Equal(psk, fromQmp);
        Assert.False(psk.Options.VerifyPeer);
    }

    private static OptionReader Arguments(string json)
    {
        using var document = JsonDocument.Parse(json);
        return new OptionReader(OptionTree.FromJson(document.RootElement));
    }
}
