using System.Collections;
using ExportPS.Engine.Configuration;
using ExportPS.Engine.Model;
using Xunit;
using static ExportPS.Engine.Tests.Configuration.Tables;

namespace ExportPS.Engine.Tests.Configuration;

public sealed class ConfigurationParserTests
{
    private static Hashtable PowerShellStyle() => H(
        ("IoThreads", L("io0", H(("Id", "io1"), ("Ensure", "Absent")))),
        ("BlockNodes", L(
            H(("NodeName", "base"), ("Driver", "Memory"), ("Size", 1L << 30), ("ReadOnly", true), ("Compression", "Lz4")),
            H(("NodeName", "top"), ("Driver", "memory"), ("Size", 1 << 20), ("Backing", "base")),
            H(("NodeName", "img"), ("Driver", "File"), ("Path", "/tmp/img.raw"), ("CacheDirect", true)),
            H(("NodeName", "zero"), ("Driver", "Null"), ("Size", 4096), ("ReadZeroes", false)),
            H(("NodeName", "old"), ("Ensure", "Absent")))),
        ("DirtyBitmaps", L(H(("NodeName", "top"), ("Name", "b0"), ("Granularity", 131072), ("Persistent", true), ("Enabled", false)))),
        ("NbdServer", H(("Address", H(("Type", "Inet"), ("Host", "127.0.0.1"), ("Port", 10809))), ("MaxConnections", 4), ("TlsCreds", "tls0"), ("TlsAuthz", "authz0"))),
        ("Exports", L(H(
            ("Id", "e0"), ("Type", "Nbd"), ("NodeName", "top"), ("Writable", true), ("Writethrough", true), ("IoThread", "io0"),
            ("Name", "disk"), ("Description", "the disk"), ("Bitmaps", L("b0", "base/b1")), ("AllocationDepth", true)))),
        ("Prune", true));

    private static Hashtable QemuStyle() => H(
        ("iothreads", L("io0", H(("id", "io1"), ("ensure", "absent")))),
        ("block-nodes", L(
            H(("node-name", "base"), ("driver", "memory"), ("size", 1L << 30), ("read-only", true), ("compression", "lz4")),
            H(("node-name", "top"), ("driver", "memory"), ("size", "1048576"), ("backing", "base")),
            H(("node-name", "img"), ("driver", "file"), ("filename", "/tmp/img.raw"), ("cache.direct", true)),
            H(("node-name", "zero"), ("driver", "null-co"), ("size", 4096.0), ("read-zeroes", false)),
            H(("node-name", "old"), ("ensure", "absent")))),
        ("dirty-bitmaps", L(H(("node", "top"), ("name", "b0"), ("granularity", 131072), ("persistent", true), ("enabled", false)))),
        ("nbd-server", H(("addr", H(("type", "inet"), ("host", "127.0.0.1"), ("port", "10809"))), ("max-connections", 4), ("tls-creds", "tls0"), ("tls-authz", "authz0"))),
        ("block-exports", L(H(
            ("id", "e0"), ("type", "nbd"), ("node-name", "top"), ("writable", true), ("writethrough", true), ("iothread", "io0"),
            ("name", "disk"), ("description", "the disk"), ("bitmaps", L("b0", "base/b1")), ("allocation-depth", true)))),
        ("prune", true));

    [Fact]
    public void PowerShellStyleKeysFillEveryProperty()
    {
        var c = Parse(PowerShellStyle());

        Assert.True(c.Prune);
        Assert.Equal(["io0", "io1"], c.IoThreads.Select(t => t.Id));
        Assert.Equal([ConfigurationEnsure.Present, ConfigurationEnsure.Absent], c.IoThreads.Select(t => t.Ensure));

        var b = c.BlockNodes;
        Assert.Equal(new BlockNodeConfiguration { NodeName = "base", Driver = BlockDriverKind.Memory, Size = 1L << 30, ReadOnly = true, Compression = BlockCompression.Lz4 }, b[0]);
        Assert.Equal(new BlockNodeConfiguration { NodeName = "top", Driver = BlockDriverKind.Memory, Size = 1 << 20, Backing = "base" }, b[1]);
        Assert.Equal(new BlockNodeConfiguration { NodeName = "img", Driver = BlockDriverKind.File, Path = "/tmp/img.raw", CacheDirect = true }, b[2]);
        Assert.Equal(new BlockNodeConfiguration { NodeName = "zero", Driver = BlockDriverKind.Null, Size = 4096, ReadZeroes = false }, b[3]);
        Assert.Equal(new BlockNodeConfiguration { NodeName = "old", Ensure = ConfigurationEnsure.Absent }, b[4]);

        Assert.Equal(new DirtyBitmapConfiguration { NodeName = "top", Name = "b0", Granularity = 131072, Persistent = true, Enabled = false }, Assert.Single(c.DirtyBitmaps));

        var server = c.NbdServer!;
        Assert.Equal(SocketAddressOptions.Inet("127.0.0.1", 10809), server.Address);
        Assert.Equal(4u, server.MaxConnections);
        Assert.Equal("tls0", server.TlsCreds);
        Assert.Equal("authz0", server.TlsAuthz);

        var e = Assert.Single(c.Exports);
        Assert.Equal(("e0", BlockExportType.Nbd, "top", true, true, "io0"), (e.Id, e.Type, e.NodeName, e.Writable, e.Writethrough, e.IoThread));
        Assert.Equal(("disk", "the disk", true), (e.Name, e.Description, e.AllocationDepth));
        Assert.Equal(["b0", "base/b1"], e.Bitmaps);
    }

    [Fact]
    public void QemuStyleKeysMeanTheSame()
    {
        Assert.Equal(Render(Parse(PowerShellStyle())), Render(Parse(QemuStyle())));
    }

    [Fact]
    public void KeysAndValuesAreCaseInsensitiveEvenInACaseSensitiveDictionary()
    {
        var table = new Hashtable { ["BLOCKNODES"] = H(("NODENAME", "n"), ("DRIVER", "NULL"), ("SIZE", 1)) };
        var node = Assert.Single(Parse(table).BlockNodes);
        Assert.Equal(("n", BlockDriverKind.Null, 1L), (node.NodeName, node.Driver, node.Size!.Value));
    }

    [Fact]
    public void AnEmptyTableIsAnEmptyConfiguration()
    {
        var c = Parse(H());
        Assert.Empty(c.IoThreads);
        Assert.Empty(c.BlockNodes);
        Assert.Empty(c.DirtyBitmaps);
        Assert.Null(c.NbdServer);
        Assert.Empty(c.Exports);
        Assert.False(c.Prune);
    }

    [Fact]
    public void ASingleItemCountsAsAListOfOne()
    {
        var c = Parse(H(("IoThreads", "io0"), ("BlockNodes", H(("NodeName", "n"), ("Driver", "null"), ("Size", 0))),
            ("Exports", H(("Id", "e"), ("NodeName", "n"), ("Bitmaps", "b")))));
        Assert.Equal("io0", Assert.Single(c.IoThreads).Id);
        Assert.Equal("n", Assert.Single(c.BlockNodes).NodeName);
        Assert.Equal(["b"], Assert.Single(c.Exports).Bitmaps);
    }

    [Fact]
    public void DefaultsAreThoseOfTheQmpCommands()
    {
        var c = Parse(H(
            ("BlockNodes", H(("NodeName", "n"), ("Driver", "null"), ("Size", 0))),
            ("DirtyBitmaps", H(("NodeName", "n"), ("Name", "b"))),
            ("NbdServer", H(("Address", H(("Host", "::1"))))),
            ("Exports", H(("Id", "e"), ("NodeName", "n")))));
        var node = c.BlockNodes[0];
        Assert.Equal((false, null, BlockCompression.None, false, true), (node.ReadOnly, node.Backing, node.Compression, node.CacheDirect, node.ReadZeroes));
        var bitmap = c.DirtyBitmaps[0];
        Assert.Equal((65536L, false, true), (bitmap.Granularity, bitmap.Persistent, bitmap.Enabled));
        Assert.Equal(SocketAddressOptions.Inet("::1", 10809), c.NbdServer!.Address);
        Assert.Equal((0u, null, null), (c.NbdServer.MaxConnections, c.NbdServer.TlsCreds, c.NbdServer.TlsAuthz));
        var export = c.Exports[0];
        Assert.Equal((BlockExportType.Nbd, false, false, null, null, null, false, "n"),
            (export.Type, export.Writable, export.Writethrough, export.IoThread, export.Name, export.Description, export.AllocationDepth, export.EffectiveName));
        Assert.Empty(export.Bitmaps);
    }

    [Theory]
    [InlineData("unix:/run/nbd.sock", SocketAddressKind.Unix, null, 0, "/run/nbd.sock")]
    [InlineData("127.0.0.1:10809", SocketAddressKind.Inet, "127.0.0.1", 10809, null)]
    [InlineData("[::1]:0", SocketAddressKind.Inet, "::1", 0, null)]
    [InlineData("localhost:1234", SocketAddressKind.Inet, "localhost", 1234, null)]
    public void AddressesMayBeText(string text, SocketAddressKind kind, string? host, int port, string? path)
    {
        var address = Parse(H(("NbdServer", H(("Address", text))))).NbdServer!.Address;
        Assert.Equal(kind, address.Kind);
        Assert.Equal(path, address.Path);
        if (kind == SocketAddressKind.Inet)
        {
            Assert.Equal((host, port), (address.Host, address.Port));
        }
    }

    [Fact]
    public void AUnixAddressTableInfersItsType()
    {
        Assert.Equal(SocketAddressOptions.Unix("/s"), Parse(H(("NbdServer", H(("Address", H(("Path", "/s"))))))).NbdServer!.Address);
        Assert.Equal(SocketAddressOptions.Unix("/s"), Parse(H(("NbdServer", H(("addr", H(("type", "unix"), ("path", "/s"))))))).NbdServer!.Address);
    }

    [Fact]
    public void AbsentItemsNeedOnlyTheirKeys()
    {
        var c = Parse(H(
            ("IoThreads", H(("Id", "io"), ("Ensure", "Absent"))),
            ("BlockNodes", H(("NodeName", "n"), ("Ensure", "absent"))),
            ("DirtyBitmaps", H(("NodeName", "n"), ("Name", "b"), ("Ensure", "Absent"))),
            ("NbdServer", H(("Ensure", "Absent"))),
            ("Exports", H(("Id", "e"), ("Ensure", "Absent")))));
        Assert.All(new[] { c.IoThreads[0].Ensure, c.BlockNodes[0].Ensure, c.DirtyBitmaps[0].Ensure, c.NbdServer!.Ensure, c.Exports[0].Ensure },
            ensure => Assert.Equal(ConfigurationEnsure.Absent, ensure));
    }

    [Fact]
    public void ARawNodeNamesItsFileChildAndHasNoSizeOfItsOwn()
    {
        var expected = new BlockNodeConfiguration { NodeName = "r", Driver = BlockDriverKind.Raw, File = "img", ReadOnly = true };
        Assert.Equal(expected, Parse(H(("BlockNodes", H(("NodeName", "r"), ("Driver", "Raw"), ("File", "img"), ("ReadOnly", true))))).BlockNodes[0]);
        Assert.Equal(expected, Parse(H(("block-nodes", H(("node-name", "r"), ("driver", "raw"), ("file", "img"), ("read-only", true))))).BlockNodes[0]);
    }

    [Fact]
    public void NumbersMayComeInAnyIntegralForm()
    {
        foreach (object size in new object[] { (byte)8, (short)8, 8, 8u, 8L, 8ul, 8.0, 8.0f, 8m, "8" })
        {
            Assert.Equal(8, Parse(H(("BlockNodes", H(("NodeName", "n"), ("Driver", "null"), ("Size", size))))).BlockNodes[0].Size);
        }
    }

    /// <summary>Stands for PowerShell's PSObject, which the engine cannot reference.</summary>
    private sealed record Wrapped(object? BaseObject);

    [Fact]
    public void AFrontEndCanUnwrapItsWrappersFirst()
    {
        static object W(object? value) => new Wrapped(value);
        var node = H(("NodeName", W("n")), ("Driver", W("null")), ("Size", W(4096)));
        var wrapped = H(("BlockNodes", W(L(W(node)))), ("Prune", W(true)));
        static object? Unwrap(object? value) => value is Wrapped w ? w.BaseObject : value;

        Assert.Equal(Render(Parse(H(("BlockNodes", H(("NodeName", "n"), ("Driver", "null"), ("Size", 4096))), ("Prune", true)))),
            Render(ConfigurationParser.Parse(wrapped, Unwrap)));
        Assert.Throws<Errors.EngineException>(() => ConfigurationParser.Parse(wrapped));
        var twice = new Hashtable { ["BlockNodes"] = new Hashtable { ["NodeName"] = "n", ["nodename"] = W("n") } };
        var error = Assert.Throws<Errors.EngineException>(() => ConfigurationParser.Parse(twice, Unwrap));
        Assert.Equal("BlockNodes[0].NodeName", error.Target);
    }

    public static TheoryData<Hashtable, string, string> Errors() => new()
    {
        { H(("Chardevs", L())), "Chardevs", "unknown key; expected one of IoThreads, BlockNodes, DirtyBitmaps, NbdServer, Exports, Netdevs, Prune" },
        { H(("Prune", "yes")), "Prune", "expected $true or $false, got the string 'yes'" },
        { H(("IoThreads", L(5))), "IoThreads[0]", "expected a hashtable, got 5 (Int32)" },
        { H(("IoThreads", L("0bad"))), "IoThreads[0]", "invalid name '0bad'" },
        { H(("IoThreads", H(("Id", "a"), ("Ensure", "Maybe")))), "IoThreads[0].Ensure", "unknown value 'Maybe'; expected one of Present, Absent" },
        { H(("IoThreads", H(("Ensure", "Absent")))), "IoThreads[0].Id", "required key is missing" },
        { H(("IoThreads", H(("Id", "a"), ("PollMaxNs", -1)))), "IoThreads[0].PollMaxNs", "-1 is out of range" },
        { H(("IoThreads", H(("Id", "a"), ("poll-grow", "fast")))), "IoThreads[0].PollGrow", "expected a number, got the string 'fast'" },
        { H(("BlockNodes", L(Node("a"), H(("NodeName", "b"), ("Driver", "memory"), ("Size", "big"))))), "BlockNodes[1].Size", "expected a number, got the string 'big'" },
        { H(("BlockNodes", H(("NodeName", "b"), ("Driver", "memory"), ("Size", -1)))), "BlockNodes[0].Size", "-1 is out of range" },
        { H(("BlockNodes", H(("NodeName", "b"), ("Driver", "memory"), ("Size", 1.5)))), "BlockNodes[0].Size", "expected a number" },
        { H(("BlockNodes", H(("NodeName", "b"), ("Driver", "memory")))), "BlockNodes[0].Size", "required key is missing" },
        { H(("BlockNodes", H(("NodeName", "b"), ("Size", 1)))), "BlockNodes[0].Driver", "required key is missing" },
        { H(("BlockNodes", H(("Driver", "null"), ("Size", 1)))), "BlockNodes[0].NodeName", "required key is missing" },
        { H(("BlockNodes", H(("NodeName", "b"), ("Driver", "qcow2"), ("Size", 1)))), "BlockNodes[0].Driver", "unknown value 'qcow2'; expected one of file, memory, null-co, null-aio, null" },
        { H(("BlockNodes", H(("NodeName", "b"), ("Driver", 3), ("Size", 1)))), "BlockNodes[0].Driver", "expected a string, got 3 (Int32)" },
        { H(("BlockNodes", H(("NodeName", "b c"), ("Driver", "null"), ("Size", 1)))), "BlockNodes[0].NodeName", "invalid name 'b c'" },
        { H(("BlockNodes", H(("NodeName", "b"), ("Driver", "null"), ("Size", 1), ("Sise", 2)))), "BlockNodes[0].Sise", "unknown key; expected one of NodeName, Driver, Path, Size" },
        { H(("BlockNodes", H(("NodeName", "b"), ("node-name", "b"), ("Driver", "null"), ("Size", 1)))), "BlockNodes[0].NodeName", "given twice" },
        { H(("BlockNodes", H(("NodeName", "b"), ("Driver", "file"), ("Path", "/x"), ("Size", 1)))), "BlockNodes[0].Size", "applies only to drivers memory and null" },
        { H(("BlockNodes", H(("NodeName", "b"), ("Driver", "file")))), "BlockNodes[0].Path", "required key is missing" },
        { H(("BlockNodes", H(("NodeName", "b"), ("Driver", "file"), ("Path", 7)))), "BlockNodes[0].Path", "expected a string" },
        { H(("BlockNodes", H(("NodeName", "b"), ("Driver", "memory"), ("Size", 1), ("Path", "/x")))), "BlockNodes[0].Path", "applies only to driver file" },
        { H(("BlockNodes", H(("NodeName", "b"), ("Driver", "raw")))), "BlockNodes[0].File", "required key is missing" },
        { H(("BlockNodes", H(("NodeName", "b"), ("Driver", "raw"), ("File", "c"), ("Size", 1)))), "BlockNodes[0].Size", "applies only to drivers memory and null; a raw node has the size of its file node" },
        { H(("BlockNodes", H(("NodeName", "b"), ("Driver", "raw"), ("File", "c"), ("Path", "/x")))), "BlockNodes[0].Path", "applies only to driver file" },
        { H(("BlockNodes", H(("NodeName", "b"), ("Driver", "raw"), ("File", "9c")))), "BlockNodes[0].File", "invalid name '9c'" },
        { H(("BlockNodes", H(("NodeName", "b"), ("Driver", "memory"), ("Size", 1), ("File", "c")))), "BlockNodes[0].File", "applies only to driver raw" },
        { H(("BlockNodes", H(("NodeName", "b"), ("Driver", "null"), ("Size", 1), ("Compression", "lz4")))), "BlockNodes[0].Compression", "applies only to driver memory" },
        { H(("BlockNodes", H(("NodeName", "b"), ("Driver", "memory"), ("Size", 1), ("Compression", "zstd")))), "BlockNodes[0].Compression", "unknown value 'zstd'" },
        { H(("BlockNodes", H(("NodeName", "b"), ("Driver", "memory"), ("Size", 1), ("CacheDirect", true)))), "BlockNodes[0].CacheDirect", "applies only to driver file" },
        { H(("BlockNodes", H(("NodeName", "b"), ("Driver", "memory"), ("Size", 1), ("ReadZeroes", true)))), "BlockNodes[0].ReadZeroes", "applies only to driver null" },
        { H(("BlockNodes", H(("NodeName", "b"), ("Driver", "memory"), ("Size", 1), ("ReadOnly", 1)))), "BlockNodes[0].ReadOnly", "expected $true or $false, got 1 (Int32)" },
        { H(("BlockNodes", H(("NodeName", "b"), ("Driver", "memory"), ("Size", 1), ("Backing", "")))), "BlockNodes[0].Backing", "invalid name ''" },
        { H(("BlockNodes", L(Node("a"), Node("b"), Node("a")))), "BlockNodes[2].NodeName", "'a' is already configured by BlockNodes[0]" },
        { H(("BlockNodes", new Hashtable { [1] = "x" })), "BlockNodes[0]", "keys must be strings, got 1 (Int32)" },
        { H(("DirtyBitmaps", H(("NodeName", "n"), ("Name", "b"), ("Granularity", 3000)))), "DirtyBitmaps[0].Granularity", "3000 is not a power of 2" },
        { H(("DirtyBitmaps", H(("NodeName", "n"), ("Name", "b"), ("Granularity", 256)))), "DirtyBitmaps[0].Granularity", "256 is out of range: expected 512 to 2147483648" },
        { H(("DirtyBitmaps", H(("NodeName", "n"), ("Granularity", 512)))), "DirtyBitmaps[0].Name", "required key is missing" },
        { H(("DirtyBitmaps", H(("NodeName", "n"), ("Name", "b"), ("Enabled", "true")))), "DirtyBitmaps[0].Enabled", "expected $true or $false" },
        { H(("DirtyBitmaps", H(("NodeName", "n"), ("Name", "b"), ("Persistent", null)))), "DirtyBitmaps[0].Persistent", "expected $true or $false, got $null" },
        { H(("DirtyBitmaps", L(H(("NodeName", "n"), ("Name", "b")), H(("node", "n"), ("Name", "b"))))), "DirtyBitmaps[1].Name", "'n/b' is already configured by DirtyBitmaps[0]" },
        { H(("NbdServer", L())), "NbdServer", "expected a hashtable, got a list" },
        { H(("NbdServer", H(("MaxConnections", 1)))), "NbdServer.Address", "required key is missing" },
        { H(("NbdServer", H(("Address", "nowhere")))), "NbdServer.Address", "'nowhere' is not an address" },
        { H(("NbdServer", H(("Address", H(("Host", "h"), ("Port", 70000)))))), "NbdServer.Address.Port", "70000 is out of range: expected 0 to 65535" },
        { H(("NbdServer", H(("Address", H(("Port", 1)))))), "NbdServer.Address.Host", "required key is missing" },
        { H(("NbdServer", H(("Address", H(("Type", "unix"), ("Host", "h")))))), "NbdServer.Address.Host", "applies only to type inet" },
        { H(("NbdServer", H(("Address", H(("Type", "inet"), ("Host", "h"), ("Path", "/p")))))), "NbdServer.Address.Path", "applies only to type unix" },
        { H(("NbdServer", H(("Address", H(("Type", "vsock"), ("Host", "h")))))), "NbdServer.Address.Type", "unknown value 'vsock'; expected one of inet, unix" },
        { H(("NbdServer", H(("Address", "h:1"), ("MaxConnections", -1)))), "NbdServer.MaxConnections", "-1 is out of range" },
        { H(("NbdServer", H(("Address", "h:1"), ("TlsCreds", "1x")))), "NbdServer.TlsCreds", "invalid name '1x'" },
        { H(("NbdServer", H(("Address", "h:1"), ("TlsAuthz", false)))), "NbdServer.TlsAuthz", "expected a string, got $false" },
        { H(("Exports", H(("NodeName", "n")))), "Exports[0].Id", "required key is missing" },
        { H(("Exports", H(("Id", "e")))), "Exports[0].NodeName", "required key is missing" },
        { H(("Exports", H(("Id", "e"), ("NodeName", "n"), ("Type", "iscsi")))), "Exports[0].Type", "unknown value 'iscsi'; expected one of nbd, vhost-user-blk" },
        { H(("Exports", H(("Id", "e"), ("NodeName", "n"), ("Type", "fuse"), ("Name", "x")))), "Exports[0].Name", "applies only to type nbd" },
        { H(("Exports", H(("Id", "e"), ("NodeName", "n"), ("Type", "vhost-user-blk"), ("Bitmaps", L("b"))))), "Exports[0].Bitmaps", "applies only to type nbd" },
        { H(("Exports", H(("Id", "e"), ("NodeName", "n"), ("Bitmaps", L("b", "n/")))) ), "Exports[0].Bitmaps[1]", "invalid name ''" },
        { H(("Exports", H(("Id", "e"), ("NodeName", "n"), ("Bitmaps", L("b", 2))))), "Exports[0].Bitmaps[1]", "expected a string" },
        { H(("Exports", H(("Id", "e"), ("NodeName", "n"), ("Writable", "no")))), "Exports[0].Writable", "expected $true or $false" },
        { H(("Exports", H(("Id", "e"), ("NodeName", "n"), ("IoThread", "")))), "Exports[0].IoThread", "invalid name ''" },
        { H(("Exports", H(("Id", "e"), ("NodeName", "n"), ("Description", H())))), "Exports[0].Description", "expected a string, got a hashtable" },
        { H(("Exports", L(H(("Id", "e"), ("NodeName", "n")), H(("Id", "e"), ("Ensure", "Absent"))))), "Exports[1].Id", "'e' is already configured by Exports[0]" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void BadInputIsRefusedWithThePathOfTheBadValue(Hashtable table, string path, string message)
    {
        Assert.Contains(message, ParseError(table, path));
    }

    private static Hashtable Node(string name) => H(("NodeName", name), ("Driver", "null"), ("Size", 1));
}
