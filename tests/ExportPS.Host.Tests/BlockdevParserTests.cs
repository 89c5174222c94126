using ExportPS.Engine.Model;
using Xunit;
using static ExportPS.Host.Tests.HostParsing;

namespace ExportPS.Host.Tests;

public class BlockdevParserTests
{
    private static BlockNodeOptions Blockdev(string argument) => Step<ExportPS.Host.CommandLine.AddBlockNodeStep>("blockdev", argument).Options;

    [Fact]
    public void File_driver_takes_filename_read_only_and_cache_direct()
    {
        var options = Blockdev("driver=file,node-name=img,filename=/dev/shm/a,,b.img,read-only=on,cache.direct=on");

        Assert.Equal(BlockDriverKind.File, options.Driver);
        Assert.Equal("img", options.NodeName);
        Assert.Equal("/dev/shm/a,b.img", options.Path);
        Assert.True(options.ReadOnly);
        Assert.True(options.CacheDirect);
        Assert.Null(options.Size);
        Assert.Null(options.Backing);
    }

    [Fact]
    public void Nbd_driver_takes_the_members_of_BlockdevOptionsNbd()
    {
        var options = Blockdev("driver=nbd,node-name=golden,server.type=inet,server.host=10.0.0.5,server.port=10809,export=img,"
            + "tls-creds=tlsc,tls-hostname=images,reconnect-delay=30,open-timeout=5,x-dirty-bitmap=qemu:dirty-bitmap:b0,x-multi-conn=4");

        Assert.Equal(BlockDriverKind.Nbd, options.Driver);
        Assert.Equal(SocketAddressOptions.Inet("10.0.0.5", 10809), options.Server);
        Assert.Equal("img", options.Export);
        Assert.Equal("tlsc", options.TlsCreds);
        Assert.Equal("images", options.TlsHostname);
        Assert.Equal(30u, options.ReconnectDelay);
        Assert.Equal(5u, options.OpenTimeout);
        Assert.Equal("qemu:dirty-bitmap:b0", options.XDirtyBitmap);
        Assert.Equal(4u, options.XMultiConn);
        Assert.Equal(SocketAddressOptions.Unix("/run/nbd.sock"), Blockdev("driver=nbd,node-name=n,server.type=unix,server.path=/run/nbd.sock").Server);
    }

    [Fact]
    public void Defaults_are_writable_and_cached()
    {
        var options = Blockdev("file,node-name=img,filename=/x");

        Assert.False(options.ReadOnly);
        Assert.False(options.CacheDirect);
    }

    [Fact]
    public void Memory_driver_takes_size_compression_and_backing()
    {
        var options = Blockdev("driver=memory,node-name=top,size=1G,compression=lz4,backing=base");

        Assert.Equal(BlockDriverKind.Memory, options.Driver);
        Assert.Equal(1L << 30, options.Size);
        Assert.Equal(BlockCompression.Lz4, options.Compression);
        Assert.Equal("base", options.Backing);
    }

    [Fact]
    public void Raw_driver_names_its_file_node()
    {
        var options = Blockdev("raw,node-name=disk,file=proto,read-only=on");

        Assert.Equal(BlockDriverKind.Raw, options.Driver);
        Assert.Equal("proto", options.File);
        Assert.True(options.ReadOnly);
        Assert.Equal("proto", Blockdev("""{"driver":"raw","node-name":"disk","file":"proto"}""").File);
    }

    [Theory]
    [InlineData("none", BlockCompression.None)]
    [InlineData("lz4", BlockCompression.Lz4)]
    public void Memory_compression_values(string value, BlockCompression expected)
    {
        Assert.Equal(expected, Blockdev($"memory,node-name=m,size=4096,compression={value}").Compression);
    }

    [Theory]
    [InlineData("null-co")]
    [InlineData("null-aio")]
    [InlineData("null")]
    public void Null_driver_has_QEMUs_names_and_default_size(string driver)
    {
        var options = Blockdev($"driver={driver},node-name=n");

        Assert.Equal(BlockDriverKind.Null, options.Driver);
        Assert.Equal(1L << 30, options.Size);
        Assert.True(options.ReadZeroes);
    }

    [Fact]
    public void Null_driver_takes_size_and_read_zeroes()
    {
        var options = Blockdev("null-co,node-name=n,size=64k,read-zeroes=off");

        Assert.Equal(65536, options.Size);
        Assert.False(options.ReadZeroes);
    }

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("512", 512L)]
    [InlineData("512b", 512L)]
    [InlineData("4k", 4096L)]
    [InlineData("4K", 4096L)]
    [InlineData("3M", 3L << 20)]
    [InlineData("2g", 2L << 30)]
    [InlineData("1T", 1L << 40)]
    [InlineData("1P", 1L << 50)]
    [InlineData("1E", 1L << 60)]
    [InlineData("0x1000", 4096L)]
    public void Sizes_take_binary_suffixes(string text, long bytes)
    {
        Assert.Equal(bytes, Blockdev($"memory,node-name=m,size={text}").Size);
    }

    [Theory]
    [InlineData("on", true)]
    [InlineData("yes", true)]
    [InlineData("true", true)]
    [InlineData("y", true)]
    [InlineData("off", false)]
    [InlineData("no", false)]
    [InlineData("false", false)]
    [InlineData("n", false)]
    public void Booleans_take_QEMUs_spellings(string text, bool value)
    {
        Assert.Equal(value, Blockdev($"null,node-name=n,read-only={text}").ReadOnly);
    }

    [Fact]
    public void JSON_form_reads_the_same_options()
    {
        var options = Blockdev("""{"driver":"file","node-name":"img","filename":"/x,y","read-only":true,"cache":{"direct":true}}""");

        Assert.Equal(BlockDriverKind.File, options.Driver);
        Assert.Equal("img", options.NodeName);
        Assert.Equal("/x,y", options.Path);
        Assert.True(options.ReadOnly);
        Assert.True(options.CacheDirect);
    }

    [Fact]
    public void JSON_memory_size_is_a_number()
    {
        var options = Blockdev("""{"driver":"memory","node-name":"m","size":1048576,"compression":"lz4","backing":"b"}""");

        Assert.Equal(1048576, options.Size);
        Assert.Equal(BlockCompression.Lz4, options.Compression);
        Assert.Equal("b", options.Backing);
    }

    [Theory]
    [InlineData("", "Parameter 'driver' is missing")]
    [InlineData("node-name=a", "Parameter 'driver' is missing")]
    [InlineData("driver=bogus", "Parameter 'driver' does not accept value 'bogus'")]
    [InlineData("qcow2,node-name=a", "Parameter 'driver' does not accept value 'qcow2'")]
    [InlineData("driver=file", "Parameter 'filename' is missing")]
    [InlineData("driver=file,filename=/x", "'node-name' must be specified for the root node")]
    [InlineData("driver=memory,node-name=m", "Parameter 'size' is missing")]
    [InlineData("driver=memory,node-name=m,size=1x", "Parameter 'size' expects a non-negative number below 2^63, with an optional suffix k, M, G, T, P or E")]
    [InlineData("driver=memory,node-name=m,size=-1", "Parameter 'size' expects a non-negative number below 2^63, with an optional suffix k, M, G, T, P or E")]
    [InlineData("driver=memory,node-name=m,size=", "Parameter 'size' expects a non-negative number below 2^63, with an optional suffix k, M, G, T, P or E")]
    [InlineData("driver=memory,node-name=m,size=1.5G", "Parameter 'size' expects a non-negative number below 2^63, with an optional suffix k, M, G, T, P or E")]
    [InlineData("driver=memory,node-name=m,size=16E", "Parameter 'size' expects a non-negative number below 2^63, with an optional suffix k, M, G, T, P or E")]
    [InlineData("driver=memory,node-name=m,size=1G,compression=zstd", "Parameter 'compression' does not accept value 'zstd'")]
    [InlineData("driver=null,node-name=n,read-only=maybe", "Parameter 'read-only' expects 'on' or 'off'")]
    [InlineData("driver=null,node-name=n,read-only=ON", "Parameter 'read-only' expects 'on' or 'off'")]
    [InlineData("driver=null,node-name=n,cache.direct=maybe", "Parameter 'cache.direct' expects 'on' or 'off'")]
    [InlineData("driver=null,node-name=n,cache=on", "Invalid parameter type for 'cache', expected: object")]
    [InlineData("driver=null,node-name=n,cache.writeback=on", "Parameter 'cache.writeback' is unexpected")]
    [InlineData("driver=null,node-name=n,cache.direct.x=on", "Parameters 'cache.direct.*' are unexpected")]
    [InlineData("driver=null,node-name=n,foo=bar", "Parameter 'foo' is unexpected")]
    [InlineData("driver=null,node-name=n,foo.bar=1", "Parameter 'foo' is unexpected")]
    [InlineData("driver=null,node-name=n,filename=/x", "Parameter 'filename' is unexpected")]
    [InlineData("driver=null,node-name=n,compression=lz4", "Parameter 'compression' is unexpected")]
    [InlineData("driver=file,node-name=f,filename=/x,size=1G", "Parameter 'size' is unexpected")]
    [InlineData("driver=memory,node-name=m,size=1G,read-zeroes=on", "Parameter 'read-zeroes' is unexpected")]
    [InlineData("driver=null,node-name=n,node-name.x=1", "Parameters 'node-name.*' used inconsistently")]
    [InlineData("driver=null,node-name=n,help", "Help is not available for this option")]
    [InlineData("driver=raw,node-name=r", "Parameter 'file' is missing")]
    [InlineData("driver=raw,node-name=r,file.driver=file,file.filename=/x", "Parameter 'file' must name a node: add the child with its own --blockdev and give its node-name")]
    [InlineData("driver=raw,node-name=r,file=f,size=1", "Parameter 'size' is unexpected")]
    public void Bad_keyval_options_are_refused(string argument, string message)
    {
        Assert.Equal(message, Error("blockdev", argument));
    }

    [Theory]
    [InlineData("""{"node-name":"a"}""", "Parameter 'driver' is missing")]
    [InlineData("""{"driver":1}""", "Invalid parameter type for 'driver', expected: string")]
    [InlineData("""{"driver":"null","node-name":"a","size":"1G"}""", "Invalid parameter type for 'size', expected: integer")]
    [InlineData("""{"driver":"null","node-name":"a","size":1.5}""", "Invalid parameter type for 'size', expected: integer")]
    [InlineData("""{"driver":"null","node-name":"a","size":-5}""", "Parameter 'size' expects a non-negative number below 2^63, with an optional suffix k, M, G, T, P or E")]
    [InlineData("""{"driver":"null","node-name":"a","read-only":"on"}""", "Invalid parameter type for 'read-only', expected: boolean")]
    [InlineData("""{"driver":"null","node-name":"a","cache":{"direct":1}}""", "Invalid parameter type for 'cache.direct', expected: boolean")]
    [InlineData("""{"driver":"null","node-name":"a","cache":{"direct":{}}}""", "Invalid parameter type for 'cache.direct', expected: boolean")]
    [InlineData("""{"driver":"null","node-name":"a","cache":true}""", "Invalid parameter type for 'cache', expected: object")]
    [InlineData("""{"driver":"null","node-name":["a"]}""", "Invalid parameter type for 'node-name', expected: string")]
    [InlineData("""{"driver":"null","node-name":null}""", "Invalid parameter type for 'node-name', expected: string")]
    [InlineData("""{"driver":"null","node-name":"a","x":1}""", "Parameter 'x' is unexpected")]
    [InlineData("""{"driver":"null","node-name":"a","foo":{"a":1}}""", "Parameter 'foo' is unexpected")]
    [InlineData("""{"driver":"file","node-name":"a"}""", "Parameter 'filename' is missing")]
    [InlineData("""{"driver":"null"}""", "'node-name' must be specified for the root node")]
    public void Bad_JSON_options_are_refused(string argument, string message)
    {
        Assert.Equal(message, Error("blockdev", argument));
    }
}
