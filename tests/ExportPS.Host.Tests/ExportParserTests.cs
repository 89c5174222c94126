using ExportPS.Engine.Model;
using ExportPS.Host.CommandLine;
using Xunit;
using static ExportPS.Host.Tests.HostParsing;

namespace ExportPS.Host.Tests;

public class ExportParserTests
{
    private static BlockExportOptions Export(string argument) => Step<AddBlockExportStep>("export", argument).Options;

    [Fact]
    public void Every_nbd_export_option_is_read()
    {
        var options = Export("type=nbd,id=e0,node-name=disk0,writable=on,writethrough=on,iothread=io0,fixed-iothread=on,"
            + "name=exp,,1,description=my disk,bitmaps.0=b0,bitmaps.1.node=other,bitmaps.1.name=b1,allocation-depth=on");

        Assert.Equal(BlockExportType.Nbd, options.Type);
        Assert.Equal("e0", options.Id);
        Assert.Equal("disk0", options.NodeName);
        Assert.True(options.Writable);
        Assert.True(options.Writethrough);
        Assert.Equal("io0", options.IoThread);
        Assert.True(options.FixedIoThread);
        Assert.Equal("exp,1", options.Nbd.Name);
        Assert.Equal("my disk", options.Nbd.Description);
        Assert.Equal(["b0", "other/b1"], options.Nbd.Bitmaps);
        Assert.True(options.Nbd.AllocationDepth);
    }

    [Fact]
    public void Every_fuse_export_option_is_read()
    {
        var options = Export("type=fuse,id=f0,node-name=disk0,mountpoint=/mnt/disk.raw,growable=on,allow-other=on,writable=on");

        Assert.Equal(BlockExportType.Fuse, options.Type);
        Assert.True(options.Writable);
        Assert.Equal(new FuseExportOptions { MountPoint = "/mnt/disk.raw", Growable = true, AllowOther = FuseExportAllowOther.On }, options.Fuse);
        Assert.Equal(new FuseExportOptions { MountPoint = "/m" }, Export("fuse,id=f0,node-name=disk0,mountpoint=/m").Fuse);
        Assert.Equal(FuseExportAllowOther.Auto, Export("fuse,id=f0,node-name=disk0,mountpoint=/m").Fuse!.AllowOther);
    }

    [Fact]
    public void Defaults_are_QEMUs()
    {
        var options = Export("nbd,id=e0,node-name=disk0");

        Assert.False(options.Writable);
        Assert.False(options.Writethrough);
        Assert.Null(options.IoThread);
        Assert.False(options.FixedIoThread);
        Assert.Null(options.Nbd.Name);
        Assert.Null(options.Nbd.Description);
        Assert.Empty(options.Nbd.Bitmaps);
        Assert.False(options.Nbd.AllocationDepth);
    }

    [Fact]
    public void JSON_form_with_bitmap_names_and_objects()
    {
        var options = Export("""
            {"type":"nbd","id":"e","node-name":"n","writable":true,"name":"x","bitmaps":["a",{"node":"m","name":"b"}],"allocation-depth":true}
            """.Trim());

        Assert.True(options.Writable);
        Assert.Equal("x", options.Nbd.Name);
        Assert.Equal(["a", "m/b"], options.Nbd.Bitmaps);
        Assert.True(options.Nbd.AllocationDepth);
    }

    [Theory]
    [InlineData("id=e,node-name=n", "Parameter 'type' is missing")]
    [InlineData("type=foo,id=e,node-name=n", "Parameter 'type' does not accept value 'foo'")]
    [InlineData("type=fuse,id=e,node-name=n", "Parameter 'mountpoint' is missing")]
    [InlineData("type=fuse,id=e,node-name=n,mountpoint=/m,growable=x", "Parameter 'growable' expects 'on' or 'off'")]
    [InlineData("type=fuse,id=e,node-name=n,mountpoint=/m,allow-other=maybe", "Parameter 'allow-other' does not accept value 'maybe'")]
    [InlineData("type=fuse,id=e,node-name=n,mountpoint=/m,addr.type=unix", "Parameter 'addr' is unexpected")]
    [InlineData("vhost-user-blk,id=e,node-name=n", "Parameter 'addr' is missing")]
    [InlineData("vduse-blk,id=e,node-name=n", "Parameter 'name' is missing")]
    [InlineData("type=nbd,node-name=n", "Parameter 'id' is missing")]
    [InlineData("type=nbd,id=e", "Parameter 'node-name' is missing")]
    [InlineData("type=nbd,id=e,node-name=n,writable=sure", "Parameter 'writable' expects 'on' or 'off'")]
    [InlineData("type=nbd,id=e,node-name=n,writethrough=2", "Parameter 'writethrough' expects 'on' or 'off'")]
    [InlineData("type=nbd,id=e,node-name=n,fixed-iothread=x", "Parameter 'fixed-iothread' expects 'on' or 'off'")]
    [InlineData("type=nbd,id=e,node-name=n,allocation-depth=x", "Parameter 'allocation-depth' expects 'on' or 'off'")]
    [InlineData("type=nbd,id=e,node-name=n,bitmaps=x", "Invalid parameter type for 'bitmaps', expected: array")]
    [InlineData("type=nbd,id=e,node-name=n,bitmaps.1=x", "Parameter 'bitmaps.0' missing")]
    [InlineData("type=nbd,id=e,node-name=n,bitmaps.0=x,bitmaps.0.node=a", "Parameters 'bitmaps.0.*' used inconsistently")]
    [InlineData("type=nbd,id=e,node-name=n,bitmaps.0.node=a", "Parameter 'bitmaps.0.name' is missing")]
    [InlineData("type=nbd,id=e,node-name=n,bitmaps.0.name=b", "Parameter 'bitmaps.0.node' is missing")]
    [InlineData("type=nbd,id=e,node-name=n,bitmaps.0.node=a,bitmaps.0.name=b,bitmaps.0.x=1", "Parameter 'bitmaps.0.x' is unexpected")]
    [InlineData("type=nbd,id=e,node-name=n,mountpoint=/m", "Parameter 'mountpoint' is unexpected")]
    [InlineData("type=nbd,id=e,node-name=n,bitmap=b", "Parameter 'bitmap' is unexpected")]
    [InlineData("type=nbd,id=e,node-name=n,iothread.x=1", "Parameters 'iothread.*' are unexpected")]
    [InlineData("""{"type":"nbd","id":"e","node-name":"n","bitmaps":"x"}""", "Invalid parameter type for 'bitmaps', expected: array")]
    [InlineData("""{"type":"nbd","id":"e","node-name":"n","bitmaps":[1]}""", "Invalid parameter type for 'bitmaps[0]', expected: BlockDirtyBitmapOrStr")]
    [InlineData("""{"type":"nbd","id":"e","node-name":"n","writable":"on"}""", "Invalid parameter type for 'writable', expected: boolean")]
    [InlineData("""{"type":"nbd","id":5,"node-name":"n"}""", "Invalid parameter type for 'id', expected: string")]
    public void Bad_options_are_refused(string argument, string message)
    {
        Assert.Equal(message, Error("export", argument));
    }
}
