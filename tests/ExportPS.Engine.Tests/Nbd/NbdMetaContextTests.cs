using System.Text.Json;
using ExportPS.Engine.Block;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using Xunit;
using static ExportPS.TestSupport.NbdTestClient;

namespace ExportPS.Engine.Tests.Nbd;

/// <summary>
/// Metadata contexts and NBD_CMD_BLOCK_STATUS: base:allocation, qemu:allocation-depth and qemu:dirty-bitmap:NAME, checked
/// against qemu-nbd serving the same layout (a qcow2 overlay on a qcow2 base, with a bitmap made by qemu-img).
/// </summary>
public sealed class NbdMetaContextTests
{
    private const string NbdInfo = Peer.NbdInfo;
    private const string QemuImg = Peer.QemuImg;
    private const string QemuIo = Peer.QemuIo;
    private const string QemuNbd = Peer.QemuNbd;
    private const long Size = 4 << 20;

    /// <summary>
    /// base: 0x11 at [0, 64K), 0x22 at [1M, 1M+128K). top (backing base, bitmap b0 made before its writes): 0x33 at
    /// [64K, 128K), 0x44 at [1M+64K, 1M+128K), explicit zeroes at [2M, 2M+64K).
    /// </summary>
    private static NbdTestServer LayeredServer()
    {
        var server = new NbdTestServer(addExport: false);
        var engine = server.Engine;
        engine.AddBlockNode(new BlockNodeOptions { NodeName = "base", Driver = BlockDriverKind.Memory, Size = Size });
        engine.AddBlockNode(new BlockNodeOptions { NodeName = "top", Driver = BlockDriverKind.Memory, Size = Size, Backing = "base" });
        engine.AddDirtyBitmap(new DirtyBitmapOptions { NodeName = "top", Name = "b0" });
        Write(engine.Graph.GetNode("base"), 0, 65536, 0x11);
        Write(engine.Graph.GetNode("base"), 1 << 20, 131072, 0x22);
        var top = engine.Graph.GetNode("top");
        Write(top, 65536, 65536, 0x33);
        Write(top, (1 << 20) + 65536, 65536, 0x44);
        top.WriteZeroesAsync(2 << 20, 65536).AsTask().GetAwaiter().GetResult();
        engine.AddBlockExport(new BlockExportOptions
        {
            Id = "exp",
            NodeName = "top",
            Nbd = new NbdExportOptions { Name = "disk", Bitmaps = ["b0"], AllocationDepth = true },
        });
        return server;

        static void Write(BlockNode node, long offset, int length, byte value) =>
            node.WriteAsync(offset, Enumerable.Repeat(value, length).ToArray()).AsTask().GetAwaiter().GetResult();
    }

    private static PeerProcess.Background QemuNbdWithSameLayout(string directory, string socket)
    {
        string baseImage = Path.Combine(directory, "base.qcow2");
        string topImage = Path.Combine(directory, "top.qcow2");
        PeerProcess.Run(QemuImg, ["create", "-q", "-f", "qcow2", baseImage, Size.ToString()]).Check("qemu-img create base");
        PeerProcess.Run(QemuIo, ["-f", "qcow2", "-c", "write -P 0x11 0 64k", "-c", "write -P 0x22 1M 128k", baseImage]).Check("qemu-io base");
        PeerProcess.Run(QemuImg, ["create", "-q", "-f", "qcow2", "-b", baseImage, "-F", "qcow2", topImage, Size.ToString()]).Check("qemu-img create top");
        PeerProcess.Run(QemuImg, ["bitmap", "--add", topImage, "b0"]).Check("qemu-img bitmap");
        PeerProcess.Run(QemuIo, ["-f", "qcow2", "-c", "write -P 0x33 64k 64k", "-c", "write -P 0x44 1088k 64k", "-c", "write -z 2M 64k", topImage]).Check("qemu-io top");
        var qemuNbd = new PeerProcess.Background(QemuNbd, ["-f", "qcow2", "-r", "-t", "-A", "-B", "b0", "-x", "disk", $"--socket={socket}", topImage]);
        qemuNbd.WaitForFile(socket);
        return qemuNbd;
    }

    [Fact]
    public void MapsMatchQemuNbdOnTheSameLayout()
    {
        using var server = LayeredServer();
        string socket = server.TempFile("qemu-nbd.sock");
        using var qemuNbd = QemuNbdWithSameLayout(server.Directory, socket);
        string ours = server.Uri("disk");
        string theirs = $"nbd+unix:///disk?socket={socket}";

        foreach (var map in new[] { "--map", "--map=qemu:allocation-depth", "--map=qemu:dirty-bitmap:b0" })
        {
            string expected = PeerProcess.Run(NbdInfo, [map, theirs]).Check($"nbdinfo {map} against qemu-nbd").Stdout;
            string actual = PeerProcess.Run(NbdInfo, [map, ours]).Check($"nbdinfo {map}").Stdout;
            Assert.Equal(expected, actual);
        }

        string qemuMap = PeerProcess.Run(QemuImg, ["map", "--output=json", "-f", "raw", $"nbd:unix:{socket}:exportname=disk"]).Check("qemu-img map qemu-nbd").Stdout;
        string ourMap = PeerProcess.Run(QemuImg, ["map", "--output=json", "-f", "raw", server.QemuUri("disk")]).Check("qemu-img map").Stdout;
        Assert.Equal(qemuMap, ourMap);
        using var json = JsonDocument.Parse(ourMap);
        Assert.True(json.RootElement.GetArrayLength() > 1, ourMap);

        string depth = PeerProcess.Run(NbdInfo, ["--map=qemu:allocation-depth", ours]).Stdout;
        Assert.Contains("backing depth 2", depth);
        Assert.Contains("local", depth);
        Assert.Contains("dirty", PeerProcess.Run(NbdInfo, ["--map=qemu:dirty-bitmap:b0", ours]).Stdout);
    }

    [Fact]
    public void ListAndSetMetaContextQueries()
    {
        using var server = LayeredServer();
        using var client = new NbdTestClient(server);
        client.Greet();
        Assert.Equal(RepAck, client.Negotiate(OptStructuredReply));

        static string[] Names(List<(uint Id, string Name)> contexts) => contexts.Select(c => c.Name).Order(StringComparer.Ordinal).ToArray();
        string[] all = ["base:allocation", "qemu:allocation-depth", "qemu:dirty-bitmap:b0"];
        Assert.Equal(all, Names(client.MetaContexts(OptListMetaContext, "disk").Contexts));
        Assert.Equal(["base:allocation"], Names(client.MetaContexts(OptListMetaContext, "disk", "base:").Contexts));
        Assert.Equal(all[1..], Names(client.MetaContexts(OptListMetaContext, "disk", "qemu:").Contexts));
        Assert.Equal(["qemu:dirty-bitmap:b0"], Names(client.MetaContexts(OptListMetaContext, "disk", "qemu:dirty-bitmap:").Contexts));
        Assert.Empty(client.MetaContexts(OptListMetaContext, "disk", "other:thing", "qemu:dirty-bitmap:nope").Contexts);
        Assert.Equal(RepErrUnknown, client.MetaContexts(OptListMetaContext, "nope", "base:").Final);

        // Selecting needs full names: a bare namespace selects nothing.
        Assert.Empty(client.MetaContexts(OptSetMetaContext, "disk", "qemu:").Contexts);
        var (selected, final) = client.MetaContexts(OptSetMetaContext, "disk", "base:allocation", "qemu:dirty-bitmap:b0");
        Assert.Equal(RepAck, final);
        Assert.Equal(2, selected.Count);
        Assert.Equal(RepAck, client.Go("disk"));

        client.Request(CmdBlockStatus, 0, (ulong)Size, FlagReqOne);
        var reply = client.ReadReply();
        Assert.Equal(2, reply.Count);
        Assert.All(reply, chunk => Assert.Equal(4 + 8, chunk.Payload.Length)); // REQ_ONE: one extent per context
        Assert.Equal(selected.Select(c => c.Id).Order(), reply.Select(c => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(c.Payload)).Order());
    }

    [Fact]
    public void PublishedBitmapsAreBusyUntilTheExportIsDeleted()
    {
        using var server = LayeredServer();
        var engine = server.Engine;
        Assert.True(engine.GetDirtyBitmaps().Single().Busy);
        var busy = Assert.Throws<EngineException>(() => engine.ClearDirtyBitmap("top", "b0"));
        Assert.Equal(ErrorIds.DirtyBitmapInUse, busy.ErrorId);
        var twice = Assert.Throws<EngineException>(() => engine.AddBlockExport(new BlockExportOptions
        {
            Id = "again",
            NodeName = "top",
            Nbd = new NbdExportOptions { Name = "again", Bitmaps = ["top/b0"] },
        }));
        Assert.Equal(ErrorIds.DirtyBitmapInUse, twice.ErrorId);
        var missing = Assert.Throws<EngineException>(() => engine.AddBlockExport(new BlockExportOptions
        {
            Id = "missing",
            NodeName = "top",
            Nbd = new NbdExportOptions { Name = "missing", Bitmaps = ["nope"] },
        }));
        Assert.Equal(ErrorIds.DirtyBitmapNotFound, missing.ErrorId);

        engine.RemoveBlockExport("exp", BlockExportRemoveMode.Safe);
        Assert.True(engine.WaitForExportDeleted("exp", TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.False(engine.GetDirtyBitmaps().Single().Busy);
        engine.ClearDirtyBitmap("top", "b0");
    }

    /// <summary>
    /// Incremental backup, pull style: write, export with the bitmap, read the dirty map, copy only the dirty extents,
    /// remove the export, clear the bitmap, repeat. The backup file must equal the disk after every round.
    /// </summary>
    [Fact]
    public async Task IncrementalBackupCopiesOnlyDirtyExtents()
    {
        using var server = new NbdTestServer(size: Size, addExport: false);
        var engine = server.Engine;
        engine.AddDirtyBitmap(new DirtyBitmapOptions { NodeName = "disk", Name = "inc" });
        string backup = server.TempFile("backup.img");
        File.WriteAllBytes(backup, new byte[Size]);
        var random = new Random(3);
        for (int round = 0; round < 3; round++)
        {
            var node = engine.Graph.GetNode("disk");
            for (int i = 0; i < 4; i++)
            {
                var data = new byte[4096];
                random.NextBytes(data);
                await node.WriteAsync(random.Next(0, (int)(Size / 4096)) * 4096L, data);
            }

            engine.AddBlockExport(new BlockExportOptions { Id = "backup", NodeName = "disk", Nbd = new NbdExportOptions { Bitmaps = ["inc"] } });
            string map = PeerProcess.Run(NbdInfo, ["--map=qemu:dirty-bitmap:inc", "--json", server.Uri()]).Check("nbdinfo dirty map").Stdout;
            using var extents = JsonDocument.Parse(map);
            var dirty = extents.RootElement.EnumerateArray().Where(e => e.GetProperty("type").GetInt32() == 1).ToList();
            Assert.InRange(dirty.Count, 1, 4);
            Assert.True(dirty.Sum(e => e.GetProperty("length").GetInt64()) <= 4 * DirtyBitmapOptions.DefaultGranularity);

            using (var client = new NbdTestClient(server).Connect())
            using (var file = new FileStream(backup, FileMode.Open, FileAccess.Write))
            {
                foreach (var extent in dirty)
                {
                    long offset = extent.GetProperty("offset").GetInt64();
                    int length = (int)extent.GetProperty("length").GetInt64();
                    file.Position = offset;
                    file.Write(client.ReadData((ulong)offset, length));
                }

                client.Disconnect();
            }

            engine.RemoveBlockExport("backup", BlockExportRemoveMode.Hard);
            Assert.True(engine.WaitForExportDeleted("backup", TimeSpan.FromSeconds(10), CancellationToken.None));
            engine.ClearDirtyBitmap("disk", "inc");
            Assert.Equal(0, engine.GetDirtyBitmaps().Single().Count);

            var whole = new byte[Size];
            await node.ReadAsync(0, whole);
            Assert.True(whole.AsSpan().SequenceEqual(File.ReadAllBytes(backup)), $"round {round}: the backup differs from the disk");
        }
    }
}
