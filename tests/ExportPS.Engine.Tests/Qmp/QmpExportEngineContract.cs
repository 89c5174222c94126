using System.Collections.Concurrent;
using System.Diagnostics;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qmp;
using ExportPS.Engine.Tests.Tls;
using Xunit;

namespace ExportPS.Engine.Tests.Qmp;

/// <summary>What QmpExportEngine must do against any QMP server: run by one subclass per server.</summary>
public abstract class QmpExportEngineContract : IDisposable
{
    protected const long Size = 1024 * 1024;

    protected QmpExportEngineContract()
    {
        Dir = new TempDirectory();
        File.WriteAllBytes(Dir.File("disk.img"), new byte[Size]);
    }

    protected TempDirectory Dir { get; }

    protected abstract QmpExportEngine Engine { get; }

    public virtual void Dispose() => Dir.Dispose();

    protected static EngineException Refused(string errorId, EngineErrorCategory category, Action call)
    {
        var e = Assert.Throws<EngineException>(call);
        Assert.Equal((errorId, category), (e.ErrorId, e.Category));
        return e;
    }

    [Fact]
    public void Block_nodes_are_added_listed_and_removed()
    {
        var nullNode = Engine.AddBlockNode(new BlockNodeOptions { NodeName = "n0", Driver = BlockDriverKind.Null, Size = Size });
        Assert.Equal(("n0", BlockDriverKind.Null, Size, false), (nullNode.NodeName, nullNode.Driver, nullNode.Size, nullNode.ReadOnly));

        var fileNode = Engine.AddBlockNode(new BlockNodeOptions { NodeName = "f0", Driver = BlockDriverKind.File, Path = Dir.File("disk.img"), ReadOnly = true });
        Assert.Equal((BlockDriverKind.File, Size, true, Dir.File("disk.img")), (fileNode.Driver, fileNode.Size, fileNode.ReadOnly, fileNode.Path));

        Assert.Equal(["f0", "n0"], Engine.GetBlockNodes().Select(n => n.NodeName).Order());
        Refused(ErrorIds.BlockNodeExists, EngineErrorCategory.AlreadyExists,
            () => Engine.AddBlockNode(new BlockNodeOptions { NodeName = "n0", Driver = BlockDriverKind.Null, Size = Size }));
        Refused(ErrorIds.BlockNodeOpenFailed, EngineErrorCategory.NotFound,
            () => Engine.AddBlockNode(new BlockNodeOptions { NodeName = "f1", Driver = BlockDriverKind.File, Path = Dir.File("missing.img") }));

        Engine.RemoveBlockNode("n0");
        Assert.Equal(["f0"], Engine.GetBlockNodes().Select(n => n.NodeName));
        Refused(ErrorIds.BlockNodeNotFound, EngineErrorCategory.NotFound, () => Engine.RemoveBlockNode("n0"));
    }

    [Fact]
    public void Dirty_bitmaps_are_added_changed_merged_and_removed()
    {
        Engine.AddBlockNode(new BlockNodeOptions { NodeName = "n0", Driver = BlockDriverKind.Null, Size = Size });
        var b0 = Engine.AddDirtyBitmap(new DirtyBitmapOptions { NodeName = "n0", Name = "b0", Granularity = 4096 });
        Assert.Equal(("n0", "b0", 4096L, true, 0L), (b0.NodeName, b0.Name, b0.Granularity, b0.Enabled, b0.Count));
        Engine.AddDirtyBitmap(new DirtyBitmapOptions { NodeName = "n0", Name = "b1", Disabled = true });
        Assert.False(Engine.GetDirtyBitmaps().Single(b => b.Name == "b1").Enabled);
        Engine.EnableDirtyBitmap("n0", "b1");
        Assert.True(Engine.GetDirtyBitmaps().Single(b => b.Name == "b1").Enabled);
        Engine.MergeDirtyBitmaps("n0", "b1", ["b0", "n0/b0"]);
        Engine.ClearDirtyBitmap("n0", "b1");
        Assert.Equal(["b0", "b1"], Engine.GetBlockNodes().Single().Bitmaps);
        Refused(ErrorIds.DirtyBitmapExists, EngineErrorCategory.AlreadyExists,
            () => Engine.AddDirtyBitmap(new DirtyBitmapOptions { NodeName = "n0", Name = "b0" }));
        Engine.RemoveDirtyBitmap("n0", "b1");
        Refused(ErrorIds.DirtyBitmapNotFound, EngineErrorCategory.NotFound, () => Engine.RemoveDirtyBitmap("n0", "b1"));
    }

    [Fact]
    public void An_nbd_export_serves_a_real_client_and_its_deletion_is_reported()
    {
        Engine.AddBlockNode(new BlockNodeOptions { NodeName = "f0", Driver = BlockDriverKind.File, Path = Dir.File("disk.img") });
        string nbdSocket = Dir.File("nbd.sock");
        Refused(ErrorIds.NbdServerNotRunning, EngineErrorCategory.InvalidState,
            () => Engine.AddBlockExport(new BlockExportOptions { Id = "e0", NodeName = "f0" }));
        var server = Engine.StartNbdServer(new NbdServerOptions { Address = SocketAddressOptions.Unix(nbdSocket) });
        Assert.True(server.Running);
        Refused(ErrorIds.NbdServerRunning, EngineErrorCategory.InvalidState,
            () => Engine.StartNbdServer(new NbdServerOptions { Address = SocketAddressOptions.Unix(Dir.File("other.sock")) }));

        var export = Engine.AddBlockExport(new BlockExportOptions
        {
            Id = "e0",
            NodeName = "f0",
            Writable = true,
            Nbd = new NbdExportOptions { Name = "disk", Description = "a disk" },
        });
        Assert.Equal(("e0", BlockExportType.Nbd, "f0", false, true, "disk"),
            (export.Id, export.Type, export.NodeName, export.ShuttingDown, export.Writable, Assert.IsType<NbdExportDetails>(export.Details).Name));
        Assert.Equal(["e0"], Engine.GetBlockExports().Select(e => e.Id));
        Assert.Equal(Size.ToString(System.Globalization.CultureInfo.InvariantCulture), NbdInfoSize($"nbd+unix:///disk?socket={nbdSocket}"));

        Refused(ErrorIds.ExportExists, EngineErrorCategory.AlreadyExists,
            () => Engine.AddBlockExport(new BlockExportOptions { Id = "e0", NodeName = "f0" }));
        Refused(ErrorIds.BlockNodeNotFound, EngineErrorCategory.NotFound,
            () => Engine.AddBlockExport(new BlockExportOptions { Id = "e1", NodeName = "nope" }));

        // The server notices nbdinfo's disconnect asynchronously; a safe removal needs it gone.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (Engine.GetBlockExports().Single().Clients > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the NBD client was still counted 10 s after it exited");
            Thread.Sleep(20);
        }

        var deleted = new BlockingCollection<string>();
        Engine.ExportDeleted += (_, e) => deleted.Add(e.Id);
        Engine.RemoveBlockExport("e0", BlockExportRemoveMode.Safe);
        Assert.True(Engine.WaitForExportDeleted("e0", TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.True(deleted.TryTake(out string? id, TimeSpan.FromSeconds(10)));
        Assert.Equal("e0", id);
        Assert.Empty(Engine.GetBlockExports());
        Refused(ErrorIds.ExportNotFound, EngineErrorCategory.NotFound, () => Engine.RemoveBlockExport("e0", BlockExportRemoveMode.Hard));

        Engine.StopNbdServer(TimeSpan.FromSeconds(1));
        Refused(ErrorIds.NbdServerNotRunning, EngineErrorCategory.InvalidState, () => Engine.StopNbdServer(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void A_vhost_user_blk_export_listens_and_is_removed()
    {
        Engine.AddBlockNode(new BlockNodeOptions { NodeName = "n0", Driver = BlockDriverKind.Null, Size = Size });
        string socket = Dir.File("vub.sock");
        var info = Engine.AddBlockExport(new BlockExportOptions
        {
            Type = BlockExportType.VhostUserBlk,
            Id = "v0",
            NodeName = "n0",
            Writable = true,
            VhostUserBlk = new VhostUserBlkExportOptions { Address = SocketAddressOptions.Unix(socket), NumQueues = 2, LogicalBlockSize = 4096 },
        });
        Assert.Equal((BlockExportType.VhostUserBlk, true), (info.Type, info.Writable));
        var details = Assert.IsType<VhostUserBlkExportDetails>(info.Details);
        Assert.Equal((socket, 2, 4096L, false), (details.Socket, details.NumQueues, details.LogicalBlockSize, details.FrontEndConnected));
        Assert.True(File.Exists(socket));
        Assert.Equal(BlockExportType.VhostUserBlk, Engine.GetBlockExports().Single().Type);

        Engine.RemoveBlockExport("v0", BlockExportRemoveMode.Safe);
        Assert.True(Engine.WaitForExportDeleted("v0", TimeSpan.FromSeconds(10), CancellationToken.None));
    }

    [Fact]
    public void A_fuse_export_mounts_the_node_on_a_file_and_unmounts_when_removed()
    {
        Engine.AddBlockNode(new BlockNodeOptions { NodeName = "n0", Driver = BlockDriverKind.Null, Size = Size, ReadZeroes = true });
        string mountPoint = Dir.File("fuse.img");
        File.WriteAllBytes(mountPoint, []);
        var info = Engine.AddBlockExport(new BlockExportOptions
        {
            Type = BlockExportType.Fuse,
            Id = "f0",
            NodeName = "n0",
            Fuse = new FuseExportOptions { MountPoint = mountPoint, AllowOther = FuseExportAllowOther.Off },
        });
        var details = Assert.IsType<FuseExportDetails>(info.Details);
        Assert.Equal((mountPoint, FuseExportAllowOther.Off, false), (details.MountPoint, details.AllowOther, details.OthersAllowed));
        Assert.True(ExportPS.Engine.Exports.Fuse.FuseMount.IsMounted(mountPoint));
        Assert.Equal(Size, new FileInfo(mountPoint).Length);
        Assert.Equal(new byte[4096], File.ReadAllBytes(mountPoint)[..4096]);

        // The kernel releases a closed file a moment after close(2) returns; until then a safe removal is refused.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (Engine.GetBlockExports().Single().Clients > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the file was not released");
            Thread.Sleep(10);
        }

        Engine.RemoveBlockExport("f0", BlockExportRemoveMode.Safe);
        Assert.True(Engine.WaitForExportDeleted("f0", TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.False(ExportPS.Engine.Exports.Fuse.FuseMount.IsMounted(mountPoint));
    }

    [Fact]
    public void Waiting_for_an_export_that_stays_times_out()
    {
        Engine.AddBlockNode(new BlockNodeOptions { NodeName = "n0", Driver = BlockDriverKind.Null, Size = Size });
        Engine.StartNbdServer(new NbdServerOptions { Address = SocketAddressOptions.Unix(Dir.File("nbd.sock")) });
        Engine.AddBlockExport(new BlockExportOptions { Id = "e0", NodeName = "n0" });
        Assert.False(Engine.WaitForExportDeleted("e0", TimeSpan.FromMilliseconds(200), CancellationToken.None));
        Assert.True(Engine.WaitForExportDeleted("never-existed", TimeSpan.FromMilliseconds(200), CancellationToken.None));
    }

    [Fact]
    public void Connecting_to_a_missing_socket_fails_with_QmpConnectionFailed()
    {
        Refused(ErrorIds.QmpConnectionFailed, EngineErrorCategory.NotFound, () => QmpExportEngine.Connect(Dir.File("nobody.sock"), TimeSpan.FromSeconds(5)));
    }

    private static string NbdInfoSize(string uri) =>
        PeerProcess.Run(Peer.NbdInfo, ["--size", uri], TimeSpan.FromSeconds(10)).Check("nbdinfo --size").Stdout.Trim();
}

/// <summary>QmpExportEngine driving a real qemu-storage-daemon.</summary>
public sealed class QmpExportEngineOnQsdTests : QmpExportEngineContract
{
    private readonly QsdProcess _qsd;
    private readonly QmpExportEngine _engine;

    public QmpExportEngineOnQsdTests()
    {
        _qsd = new QsdProcess(Dir.Path);
        _engine = QmpExportEngine.Connect(_qsd.SocketPath, TimeSpan.FromSeconds(10));
    }

    protected override QmpExportEngine Engine => _engine;

    public override void Dispose()
    {
        _engine.Dispose();
        _qsd.Dispose();
        base.Dispose();
    }

    [Fact]
    public void Queries_qemu_lacks_answer_QmpCommandNotFound_and_iothreads_still_work()
    {
        Assert.Equal(7, Engine.ServerVersion.GetProperty("qemu").GetProperty("major").GetInt32());
        Refused(ErrorIds.QmpCommandNotFound, EngineErrorCategory.NotSupported, () => Engine.GetNbdServer());
        Refused(ErrorIds.QmpCommandNotFound, EngineErrorCategory.NotSupported, () => Engine.GetIoThreads());
        var io = Engine.AddIoThread(new IoThreadOptions { Id = "io0" });
        Assert.Equal(("io0", 32768L), (io.Id, io.PollMaxNs));
        Refused(ErrorIds.IoThreadExists, EngineErrorCategory.AlreadyExists, () => Engine.AddIoThread(new IoThreadOptions { Id = "io0" }));
        Engine.RemoveIoThread("io0");
        Refused(ErrorIds.IoThreadNotFound, EngineErrorCategory.NotFound, () => Engine.RemoveIoThread("io0"));
    }

    [Fact]
    public void Tls_objects_are_added_and_deleted_and_their_queries_answer_QmpCommandNotFound()
    {
        using var pki = new TestPki();
        using var ca = TestPki.CreateCa("Test CA");
        string dir = pki.ServerDir(ca, TestPki.Server(ca));
        var creds = Engine.AddTlsCreds(new TlsCredsOptions { Id = "tls0", Dir = dir });
        Assert.Equal(("tls0", TlsCredsEndpoint.Server, dir, true), (creds.Id, creds.Endpoint, creds.Dir, creds.VerifyPeer));
        var authz = Engine.AddAuthz(new AuthzOptions { Id = "auth0", Rules = [new AuthzListRule { Match = "CN=*", Policy = AuthzPolicy.Allow, Format = AuthzListFormat.Glob }] });
        Assert.Equal("CN=*", authz.Rules.Single().Match);
        Refused(ErrorIds.QmpCommandNotFound, EngineErrorCategory.NotSupported, () => Engine.GetTlsCreds());
        Refused(ErrorIds.QmpCommandNotFound, EngineErrorCategory.NotSupported, () => Engine.GetAuthz());
        Refused(ErrorIds.TlsCredsLoadFailed, EngineErrorCategory.InvalidArgument,
            () => Engine.AddTlsCreds(new TlsCredsOptions { Id = "tls1", Dir = Dir.File("missing") }));
        Refused(ErrorIds.InvalidTlsCreds, EngineErrorCategory.InvalidArgument, () => Engine.AddTlsCreds(new TlsCredsOptions { Id = "tls1" }));
        Engine.RemoveObject("auth0");
        Engine.RemoveObject("tls0");
        Assert.Contains("not found", Assert.Throws<EngineException>(() => Engine.RemoveObject("tls0")).Message);
    }

    [Fact]
    public void A_server_that_dies_fails_later_calls_with_QmpConnectionFailed()
    {
        _qsd.Dispose();
        Refused(ErrorIds.QmpConnectionFailed, EngineErrorCategory.IoError, () => Engine.GetBlockExports());
    }
}

/// <summary>QmpExportEngine driving ExportPS's own QmpServer: results must equal the in-process engine's.</summary>
public sealed class QmpExportEngineOnQmpServerTests : QmpExportEngineContract
{
    private readonly ExportEngine _local = new();
    private readonly QmpServer _server;
    private readonly QmpExportEngine _engine;

    public QmpExportEngineOnQmpServerTests()
    {
        _server = QmpServer.Start(_local, Dir.File("eps.qmp"), nbdStopGracePeriod: TimeSpan.FromSeconds(1));
        _engine = QmpExportEngine.Connect(_server.SocketPath, TimeSpan.FromSeconds(10));
    }

    protected override QmpExportEngine Engine => _engine;

    public override void Dispose()
    {
        _engine.Dispose();
        _server.Dispose();
        _local.Dispose();
        base.Dispose();
    }

    private static string Json(object value) => System.Text.Json.JsonSerializer.Serialize(value);

    [Fact]
    public void Every_record_equals_the_in_process_engines()
    {
        Engine.AddBlockNode(new BlockNodeOptions { NodeName = "m0", Driver = BlockDriverKind.Memory, Size = Size, Compression = BlockCompression.Lz4 });
        Engine.AddBlockNode(new BlockNodeOptions { NodeName = "f0", Driver = BlockDriverKind.File, Path = Dir.File("disk.img"), CacheDirect = false });
        Engine.AddBlockNode(new BlockNodeOptions { NodeName = "r0", Driver = BlockDriverKind.Raw, File = "f0" });
        Engine.AddBlockNode(new BlockNodeOptions { NodeName = "n0", Driver = BlockDriverKind.Null, Size = 4096, ReadOnly = true });
        Engine.AddDirtyBitmap(new DirtyBitmapOptions { NodeName = "m0", Name = "b0", Granularity = 65536, Disabled = true });
        var io = Engine.AddIoThread(new IoThreadOptions { Id = "io0", PollMaxNs = 50_000, PollGrow = 4, PollShrink = 2 });
        Engine.StartNbdServer(new NbdServerOptions { Address = SocketAddressOptions.Unix(Dir.File("nbd.sock")), MaxConnections = 4 });
        Engine.AddBlockExport(new BlockExportOptions
        {
            Id = "e0",
            NodeName = "m0",
            Writable = true,
            IoThread = "io0",
            Nbd = new NbdExportOptions { Name = "mem", Description = "memory", Bitmaps = ["b0"] },
        });

        Assert.Equal(Json(_local.GetBlockNodes()), Json(Engine.GetBlockNodes()));
        Assert.Equal(Json(_local.GetDirtyBitmaps()), Json(Engine.GetDirtyBitmaps()));
        Assert.Equal(Json(_local.GetIoThreads()), Json(Engine.GetIoThreads()));
        Assert.Equal(Json(_local.GetNbdServer()), Json(Engine.GetNbdServer()));
        Assert.Equal(Json(_local.GetBlockExports()), Json(Engine.GetBlockExports()));
        Assert.Equal(_local.GetIoThreads().Single().ThreadId, io.ThreadId);
        Assert.Equal((50_000L, 4L, 2L), (io.PollMaxNs, io.PollGrow, io.PollShrink));
        Assert.Equal(BlockDriverKind.Raw, Engine.GetBlockNodes().Single(n => n.NodeName == "r0").Driver);
        Assert.Equal("f0", Engine.GetBlockNodes().Single(n => n.NodeName == "r0").File);
    }

    [Fact]
    public void Tls_objects_equal_the_in_process_engines()
    {
        using var pki = new TestPki();
        using var ca = TestPki.CreateCa("Test CA");
        string dir = pki.ServerDir(ca, TestPki.Server(ca));
        string aclFile = Dir.File("acl.json");
        File.WriteAllText(aclFile, """{"policy":"allow","rules":[{"match":"CN=bad*","policy":"deny","format":"glob"}]}""");

        var creds = Engine.AddTlsCreds(new TlsCredsOptions { Id = "tls0", Dir = dir, VerifyPeer = false });
        Assert.Equal(Json(_local.GetTlsCreds().Single()), Json(creds));
        var list = Engine.AddAuthz(new AuthzOptions
        {
            Id = "a0",
            Policy = AuthzPolicy.Allow,
            Rules = [new AuthzListRule { Match = "CN=x", Policy = AuthzPolicy.Deny }, new AuthzListRule { Match = "CN=*", Policy = AuthzPolicy.Allow, Format = AuthzListFormat.Glob }],
        });
        Engine.AddAuthz(new AuthzOptions { Type = AuthzType.Simple, Id = "a1", Identity = "CN=client" });
        Engine.AddAuthz(new AuthzOptions { Type = AuthzType.ListFile, Id = "a2", Filename = aclFile });
        Engine.StartNbdServer(new NbdServerOptions { Address = SocketAddressOptions.Unix(Dir.File("nbd.sock")), TlsCreds = "tls0" });

        Assert.Equal(Json(_local.GetAuthz().Single(a => a.Id == "a0")), Json(list));
        Assert.Equal(Json(_local.GetTlsCreds()), Json(Engine.GetTlsCreds()));
        Assert.Equal(Json(_local.GetAuthz()), Json(Engine.GetAuthz()));
        Assert.True(Engine.GetTlsCreds().Single().InUse);
        Assert.Equal("tls0", Engine.GetNbdServer().TlsCreds);

        Refused(ErrorIds.ObjectInUse, EngineErrorCategory.InUse, () => Engine.RemoveObject("tls0"));
        Refused(ErrorIds.TlsCredsNotSupported, EngineErrorCategory.NotSupported,
            () => Engine.AddTlsCreds(new TlsCredsOptions { Type = TlsCredsType.Psk, Id = "psk0", Dir = Dir.Path, Username = "u" }));
        Refused(ErrorIds.ObjectExists, EngineErrorCategory.AlreadyExists, () => Engine.AddAuthz(new AuthzOptions { Type = AuthzType.Simple, Id = "a1", Identity = "x" }));
        Engine.RemoveObject("a0");
        Engine.RemoveObject("a1");
        Engine.StopNbdServer(TimeSpan.FromSeconds(1));
        Engine.RemoveObject("tls0");
        Assert.Equal(["a2"], Engine.GetAuthz().Select(a => a.Id));
        Assert.Empty(_local.GetTlsCreds());
        Refused(ErrorIds.ObjectNotFound, EngineErrorCategory.NotFound, () => Engine.RemoveObject("tls0"));
    }

    [Fact]
    public void Engine_errors_keep_their_exact_id_and_message()
    {
        var local = Assert.Throws<EngineException>(() => _local.AddBlockNode(new BlockNodeOptions { NodeName = "0bad", Driver = BlockDriverKind.Null, Size = 1 }));
        var remote = Assert.Throws<EngineException>(() => Engine.AddBlockNode(new BlockNodeOptions { NodeName = "0bad", Driver = BlockDriverKind.Null, Size = 1 }));
        Assert.Equal((local.ErrorId, local.Category, local.Message), (remote.ErrorId, remote.Category, remote.Message));
        Refused(ErrorIds.IoThreadNotFound, EngineErrorCategory.NotFound, () => Engine.RemoveIoThread("zz"));
    }

    [Fact]
    public void Quit_over_QMP_asks_the_host_to_stop()
    {
        using var quit = new ManualResetEventSlim();
        _server.QuitRequested += (_, _) => quit.Set();
        using var client = RawQmpConnection.OpenNegotiated(_server.SocketPath);
        Assert.True(client.Execute("""{"execute":"quit"}""").TryGetProperty("return", out _));
        Assert.True(quit.Wait(TimeSpan.FromSeconds(10)));
    }
}
