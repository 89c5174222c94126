using System.Collections;
using System.Collections.Specialized;
using ExportPS.Engine.Configuration;
using ExportPS.Engine.Model;
using Xunit;
using static ExportPS.Engine.Tests.Configuration.Tables;

namespace ExportPS.Engine.Tests.Configuration;

public sealed class ConfigurationWriterTests
{
    private static ExportConfiguration Everything() => new()
    {
        IoThreads = [new() { Id = "io0" }, new() { Id = "io1", Ensure = ConfigurationEnsure.Absent }],
        BlockNodes =
        [
            new() { NodeName = "f", Driver = BlockDriverKind.File, Path = "/img", ReadOnly = true, CacheDirect = true },
            new() { NodeName = "m", Driver = BlockDriverKind.Memory, Size = 1 << 20, Backing = "f", Compression = BlockCompression.Lz4 },
            new() { NodeName = "z", Driver = BlockDriverKind.Null, Size = 0, ReadZeroes = false },
            new() { NodeName = "gone", Ensure = ConfigurationEnsure.Absent },
            new() { NodeName = "r", Driver = BlockDriverKind.Raw, File = "f", ReadOnly = true },
        ],
        DirtyBitmaps = [new() { NodeName = "m", Name = "b", Granularity = 512, Persistent = true, Enabled = false }],
        NbdServer = new() { Address = SocketAddressOptions.Inet("::1", 0), MaxConnections = 3, TlsCreds = "t", TlsAuthz = "a" },
        Exports =
        [
            new() { Id = "e", NodeName = "m", Writable = true, Writethrough = true, IoThread = "io0", Name = "n", Description = "d", Bitmaps = ["b", "f/c"], AllocationDepth = true },
            new() { Id = "v", Type = BlockExportType.VhostUserBlk, NodeName = "z", SocketPath = "/v.sock", NumQueues = 2 },
            new() { Id = "old", Ensure = ConfigurationEnsure.Absent },
        ],
        Prune = true,
    };

    [Fact]
    public void WhatIsWrittenParsesBackUnchanged()
    {
        var written = ConfigurationWriter.ToDictionary(Everything());
        Assert.Equal(Render(Everything()), Render(ConfigurationParser.Parse(written)));
        var unix = Everything() with { NbdServer = new() { Address = SocketAddressOptions.Unix("/s") } };
        Assert.Equal(Render(unix), Render(ConfigurationParser.Parse(ConfigurationWriter.ToDictionary(unix))));
    }

    [Fact]
    public void OutputIsOrderedCaseInsensitiveWithPowerShellKeysAndDefaultsLeftOut()
    {
        var written = ConfigurationWriter.ToDictionary(Everything());
        Assert.Equal(["IoThreads", "BlockNodes", "DirtyBitmaps", "NbdServer", "Exports", "Netdevs", "Prune"], written.Keys.Cast<string>());
        Assert.Same(written["BlockNodes"], written["blocknodes"]);
        var nodes = (object[])written["BlockNodes"]!;
        Assert.Equal("@{NodeName='f'; Driver='File'; Path='/img'; ReadOnly=True; CacheDirect=True}", Render(nodes[0]));
        Assert.Equal("@{NodeName='m'; Driver='Memory'; Size=1048576; Backing='f'; Compression='Lz4'}", Render(nodes[1]));
        Assert.Equal("@{NodeName='gone'; Ensure='Absent'}", Render(nodes[3]));
        Assert.Equal("@{NodeName='r'; Driver='Raw'; File='f'; ReadOnly=True}", Render(nodes[4]));
        Assert.Equal("@{Address=@{Type='Inet'; Host='::1'; Port=0}; MaxConnections=3; TlsCreds='t'; TlsAuthz='a'}", Render(written["NbdServer"]));
        Assert.Equal("@{Id='v'; Type='VhostUserBlk'; NodeName='z'; SocketPath='/v.sock'; NumQueues=2}", Render(((object[])written["Exports"]!)[1]));
        Assert.All(Tables(written), t => Assert.IsType<OrderedDictionary>(t));
    }

    private static IEnumerable<object> Tables(object? value) => value switch
    {
        IDictionary d => d.Values.Cast<object?>().SelectMany(Tables).Prepend(d),
        IEnumerable and not string => ((IEnumerable)value).Cast<object?>().SelectMany(Tables),
        _ => [],
    };
}
