using ExportPS.Engine.Model;
using ExportPS.Engine.Tests.VhostUser;
using ExportPS.Engine.Tests.VhostUserBlk;
using ExportPS.Engine.VhostUser;
using Microsoft.Extensions.Logging;
using Xunit;
using static ExportPS.Engine.VhostUser.Blk.VirtioBlkProtocol;

namespace ExportPS.Engine.Tests.Logging;

/// <summary>
/// What vhost-user back-ends log through the engine's logger factory, driven by the test front-end on their real unix
/// sockets: a vhost-user-blk export's and a vhost-user netdev's front-ends connecting, leaving, breaking the protocol,
/// waiting for the one served, and being disconnected when the export or netdev goes.
/// </summary>
public sealed class VhostUserLogTests : IDisposable
{
    private const string Category = "ExportPS.VhostUser";

    private readonly CapturingLoggerFactory _log = new();
    private readonly TempDirectory _directory = new();
    private readonly ExportEngine _engine;

    public VhostUserLogTests() => _engine = new ExportEngine(_log);

    public void Dispose()
    {
        _engine.Dispose();
        _directory.Dispose();
    }

    private string SocketPath => _directory.File("vhost.sock");

    private void AddBlkExport()
    {
        _engine.AddBlockNode(new BlockNodeOptions { NodeName = "disk", Driver = BlockDriverKind.Memory, Size = 1 << 20 });
        _engine.AddBlockExport(new BlockExportOptions
        {
            Type = BlockExportType.VhostUserBlk,
            Id = "vub",
            NodeName = "disk",
            Writable = true,
            VhostUserBlk = new VhostUserBlkExportOptions { Address = SocketAddressOptions.Unix(SocketPath) },
        });
    }

    /// <summary>A front-end that negotiated and had one flush served.</summary>
    private TestFrontEnd ConnectAndFlush()
    {
        var frontEnd = new TestFrontEnd(SocketPath);
        frontEnd.Negotiate();
        frontEnd.StartRing(0);
        var flush = frontEnd.Post(0, TypeFlush, 0);
        frontEnd.KickAndWait(0, 1);
        Assert.Equal(StatusOk, frontEnd.Status(flush));
        return frontEnd;
    }

    /// <summary>Waits until <paramref name="count"/> back-end events were logged; returns them as a test compares them.</summary>
    private (string?, LogLevel, int, string)[] WaitForEvents(int count) => [.. _log.WaitForEvents(Category, count).Select(e => e.Shown)];

    [Fact]
    public void A_blk_front_end_is_logged_connecting_and_leaving()
    {
        AddBlkExport();
        using (ConnectAndFlush())
        {
        }

        Assert.Equal(
            [
                ("vhost_user_connected", LogLevel.Information, 5000, "vhost-user-blk vub: front-end connected"),
                ("vhost_user_disconnected", LogLevel.Information, 5001, "vhost-user-blk vub: front-end disconnected"),
            ],
            WaitForEvents(2));
    }

    [Fact]
    public void A_blk_front_end_that_breaks_the_protocol_is_logged_dropped_with_the_reason()
    {
        AddBlkExport();
        using (var broken = new TestFrontEnd(SocketPath))
        {
            broken.SendRaw([1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]); // version 2 in the flags
            Assert.True(broken.WaitClosed());
        }

        Assert.Equal(
            [
                ("vhost_user_connected", LogLevel.Information, 5000, "vhost-user-blk vub: front-end connected"),
                ("vhost_user_protocol_error", LogLevel.Warning, 5002,
                    "vhost-user-blk vub: front-end dropped: vhost-user message GetFeatures has version 2, expected 1"),
            ],
            WaitForEvents(2));
    }

    [Fact]
    public void A_second_blk_front_end_is_logged_once_served_after_the_first_left_and_a_hard_removal_as_the_back_end_disconnecting()
    {
        AddBlkExport();
        var first = ConnectAndFlush();
        using var second = new TestFrontEnd(SocketPath);
        first.Dispose();
        second.Negotiate(); // answered once the first is gone: it waited in the backlog

        _engine.RemoveBlockExport("vub", BlockExportRemoveMode.Hard);
        Assert.True(second.WaitClosed());

        Assert.Equal(
            [
                ("vhost_user_connected", LogLevel.Information, 5000, "vhost-user-blk vub: front-end connected"),
                ("vhost_user_disconnected", LogLevel.Information, 5001, "vhost-user-blk vub: front-end disconnected"),
                ("vhost_user_connected", LogLevel.Information, 5000, "vhost-user-blk vub: front-end connected"),
                ("vhost_user_aborted", LogLevel.Information, 5004,
                    "vhost-user-blk vub: front-end disconnected by the back-end: the export is shutting down"),
            ],
            WaitForEvents(4));
    }

    [Fact]
    public void A_net_front_end_is_logged_connecting_leaving_and_disconnected_when_the_netdev_is_removed()
    {
        _engine.AddNetdev(new VhostUserNetdevOptions { Id = "v0", Chardev = "c0", SocketPath = SocketPath });
        using (var frontEnd = new TestFrontEnd(SocketPath))
        {
            frontEnd.Negotiate(wantedFeatures: VirtioFeatures.Version1 | VirtioFeatures.ProtocolFeatures);
        }

        WaitForEvents(2);
        using var next = new TestFrontEnd(SocketPath);
        next.Negotiate(wantedFeatures: VirtioFeatures.Version1 | VirtioFeatures.ProtocolFeatures);
        _engine.RemoveNetdev("v0");
        Assert.True(next.WaitClosed());

        Assert.Equal(
            [
                ("vhost_user_connected", LogLevel.Information, 5000, "vhost-user-net v0: front-end connected"),
                ("vhost_user_disconnected", LogLevel.Information, 5001, "vhost-user-net v0: front-end disconnected"),
                ("vhost_user_connected", LogLevel.Information, 5000, "vhost-user-net v0: front-end connected"),
                ("vhost_user_aborted", LogLevel.Information, 5004, "vhost-user-net v0: front-end disconnected by the back-end: the netdev is closing"),
            ],
            WaitForEvents(4));
    }

    [Fact]
    public void A_net_front_end_that_breaks_the_protocol_is_logged_dropped_with_the_reason()
    {
        _engine.AddNetdev(new VhostUserNetdevOptions { Id = "v0", Chardev = "c0", SocketPath = SocketPath });
        using (var broken = new TestFrontEnd(SocketPath))
        {
            broken.SendRaw(VhostUserCodecTests.Header(999, 1, 0, 0));
            Assert.True(broken.WaitClosed());
        }

        Assert.Equal(
            ("vhost_user_protocol_error", LogLevel.Warning, 5002, "vhost-user-net v0: front-end dropped: vhost-user request 999 (999) is not supported"),
            WaitForEvents(2)[1]);
    }
}
