using System.Text.Json;
using ExportPS.Engine.Model;
using Xunit;

namespace ExportPS.Engine.Tests.Nbd;

/// <summary>Real clients from Debian (libnbd tools, QEMU tools, fio) against the server, over TCP and a unix socket.</summary>
public sealed class NbdPeerTests
{
    private const string NbdInfo = Peer.NbdInfo;
    private const string NbdCopy = Peer.NbdCopy;
    private const string QemuImg = Peer.QemuImg;
    private const string QemuIo = Peer.QemuIo;
    private const string Fio = Peer.Fio;

    [Fact]
    public void ListShowsEveryExportWithItsDescription()
    {
        using var server = new NbdTestServer(description: "first disk");
        server.Engine.AddBlockNode(new BlockNodeOptions { NodeName = "other", Driver = BlockDriverKind.Memory, Size = 1 << 20 });
        server.Engine.AddBlockExport(new BlockExportOptions { Id = "exp2", NodeName = "other", Nbd = new NbdExportOptions { Name = "second", Description = "second disk" } });

        var result = PeerProcess.Run(NbdInfo, ["--list", "--json", server.Uri("")]).Check("nbdinfo --list");
        using var json = JsonDocument.Parse(result.Stdout);
        var exports = json.RootElement.GetProperty("exports").EnumerateArray()
            .ToDictionary(e => e.GetProperty("export-name").GetString()!, e => e);
        Assert.Equal(["disk", "second"], exports.Keys.Order());
        Assert.Equal("first disk", exports["disk"].GetProperty("description").GetString());
        Assert.Equal("second disk", exports["second"].GetProperty("description").GetString());
        Assert.Equal(1 << 20, exports["second"].GetProperty("export-size").GetInt64());
        Assert.True(exports["second"].GetProperty("is_read_only").GetBoolean());
    }

    [Fact]
    public void ReadOnlyExportAndSingleConnectionServerAdvertiseAccordingly()
    {
        using var server = new NbdTestServer(writable: false, maxConnections: 1, unix: true);
        var result = PeerProcess.Run(NbdInfo, ["--json", server.Uri()]).Check("nbdinfo --json");
        using var json = JsonDocument.Parse(result.Stdout);
        var export = json.RootElement.GetProperty("exports")[0];
        Assert.True(export.GetProperty("is_read_only").GetBoolean());
        Assert.False(export.GetProperty("can_trim").GetBoolean());
        Assert.False(export.GetProperty("can_zero").GetBoolean());
        Assert.False(export.GetProperty("can_multi_conn").GetBoolean());
        Assert.True(export.GetProperty("can_flush").GetBoolean());
    }

    [Fact]
    public void UnknownExportIsReportedWithAMessage()
    {
        using var server = new NbdTestServer();
        var result = PeerProcess.Run(NbdInfo, [server.Uri("missing")]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("export: missing", result.Stderr);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void QemuImgConvertCompareInfoAndMap(bool unix)
    {
        using var server = new NbdTestServer(unix: unix);
        string source = server.TempFile("source.img");
        WriteSparseImage(source, NbdTestServer.DefaultSize, seed: 7);

        PeerProcess.Run(QemuImg, ["convert", "-n", "-f", "raw", "-O", "raw", source, server.QemuUri()]).Check("qemu-img convert to nbd");
        PeerProcess.Run(QemuImg, ["compare", "-f", "raw", "-F", "raw", source, server.QemuUri()]).Check("qemu-img compare");

        var info = PeerProcess.Run(QemuImg, ["info", "--output=json", "-f", "raw", server.QemuUri()]).Check("qemu-img info");
        using (var json = JsonDocument.Parse(info.Stdout))
        {
            Assert.Equal(NbdTestServer.DefaultSize, json.RootElement.GetProperty("virtual-size").GetInt64());
        }

        string copy = server.TempFile("copy.img");
        PeerProcess.Run(QemuImg, ["convert", "-f", "raw", "-O", "raw", server.QemuUri(), copy]).Check("qemu-img convert from nbd");
        Assert.True(File.ReadAllBytes(source).AsSpan().SequenceEqual(File.ReadAllBytes(copy)), "the round trip changed the data");

        var map = PeerProcess.Run(QemuImg, ["map", "--output=json", "-f", "raw", server.QemuUri()]).Check("qemu-img map");
        using var extents = JsonDocument.Parse(map.Stdout);
        long covered = extents.RootElement.EnumerateArray().Sum(e => e.GetProperty("length").GetInt64());
        Assert.Equal(NbdTestServer.DefaultSize, covered);
    }

    [Fact]
    public void QemuIoScriptWritesReadsZeroesDiscardsAndFlushes()
    {
        using var server = new NbdTestServer();
        string[] commands =
        [
            "write -P 0xab 0 64k",
            "read -P 0xab 0 64k",
            "write -z 64k 64k",
            "read -P 0 64k 64k",
            "write -P 0x11 128k 128k",
            "discard 128k 64k",
            "read -P 0 128k 64k",
            "read -P 0x11 192k 64k",
            "aio_write -P 0xcd 1M 256k",
            "aio_write -P 0xce 2M 256k",
            "aio_flush",
            "read -P 0xcd 1M 256k",
            "read -P 0xce 2M 256k",
            "write -f -P 0x5a 3M 4k",
            "flush",
            "read -P 0x5a 3M 4k",
        ];
        var arguments = new List<string> { "-f", "raw" };
        foreach (var command in commands)
        {
            arguments.Add("-c");
            arguments.Add(command);
        }

        arguments.Add(server.QemuUri());
        var result = PeerProcess.Run(QemuIo, arguments).Check("qemu-io");
        Assert.DoesNotContain("fail", result.Stdout + result.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(commands.Count(c => c.StartsWith("read", StringComparison.Ordinal)), CountOccurrences(result.Stdout, "read "));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NbdCopyRoundTripKeepsEveryByte(bool unix)
    {
        using var server = new NbdTestServer(unix: unix);
        string source = server.TempFile("source.img");
        string back = server.TempFile("back.img");
        WriteSparseImage(source, NbdTestServer.DefaultSize, seed: 11);
        PeerProcess.Run(NbdCopy, ["--connections=4", source, server.Uri()]).Check("nbdcopy to server");
        PeerProcess.Run(NbdCopy, ["--connections=4", server.Uri(), back]).Check("nbdcopy from server");
        Assert.True(File.ReadAllBytes(source).AsSpan().SequenceEqual(File.ReadAllBytes(back)), "nbdcopy round trip changed the data");
    }

    [Fact]
    public void FioRandomWritesVerifyWithCrc32c()
    {
        using var server = new NbdTestServer();
        var result = PeerProcess.Run(Fio,
        [
            "--name=verify", "--ioengine=nbd", $"--uri={server.Uri()}", "--rw=randwrite", "--bs=4k", "--iodepth=32",
            "--size=32M", "--verify=crc32c", "--do_verify=1", "--verify_fatal=1", "--output-format=json",
        ], TimeSpan.FromSeconds(120)).Check("fio verify");
        using var json = JsonDocument.Parse(result.Stdout[result.Stdout.IndexOf('{')..]);
        var job = json.RootElement.GetProperty("jobs")[0];
        Assert.Equal(0, job.GetProperty("error").GetInt32());
        Assert.Equal(32L << 20, job.GetProperty("write").GetProperty("io_bytes").GetInt64());
        Assert.Equal(32L << 20, job.GetProperty("read").GetProperty("io_bytes").GetInt64());
    }

    /// <summary>Random data in some 1 MiB stretches, zeroes elsewhere (so maps have both kinds).</summary>
    internal static void WriteSparseImage(string path, long size, int seed)
    {
        var random = new Random(seed);
        var block = new byte[1 << 20];
        using var file = File.Create(path);
        file.SetLength(size);
        for (long offset = 0; offset < size; offset += block.Length)
        {
            if (random.Next(3) != 0)
            {
                random.NextBytes(block);
                file.Position = offset;
                file.Write(block, 0, (int)Math.Min(block.Length, size - offset));
            }
        }
    }

    private static int CountOccurrences(string text, string value)
    {
        int count = 0;
        for (int at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
