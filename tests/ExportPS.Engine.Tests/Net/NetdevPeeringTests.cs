using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qapi;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

/// <summary>x-peer: two wire netdevs peered directly, without a hub, and the rules of who may be peered.</summary>
public sealed class NetdevPeeringTests : IDisposable
{
    private readonly NetdevTestEngine _test = new();
    private ExportEngine Engine => _test.Engine;

    public void Dispose() => _test.Dispose();

    private StreamNetdevOptions UnixServer(string id, string? peer = null) => new()
    {
        Id = id,
        Peer = peer,
        Server = true,
        Address = SocketAddressOptions.Unix(_test.File(id + ".sock")),
    };

    /// <summary>Unix stream servers s0 and s1, s1 added with x-peer=s0; returns their far ends, connected.</summary>
    private (StreamTestPeer A, StreamTestPeer B) PeeredPair()
    {
        Engine.AddNetdev(UnixServer("s0"));
        Engine.AddNetdev(UnixServer("s1", peer: "s0"));
        var a = StreamTestPeer.ConnectUnix(_test.File("s0.sock"));
        var b = StreamTestPeer.ConnectUnix(_test.File("s1.sock"));
        _test.WaitUntil(n => n.Connected, "s0", "s0 has its peer");
        _test.WaitUntil(n => n.Connected, "s1", "s1 has its peer");
        return (a, b);
    }

    [Fact]
    public void FramesTravelBothWaysBetweenTwoNetdevsPeeredWithoutAHub()
    {
        var (a, b) = PeeredPair();
        using var _ = a;
        using var __ = b;

        a.SendFrame(TestFrames.Make(60, 1));
        Assert.Equal(TestFrames.Make(60, 1), b.ReceiveFrame());
        b.SendFrame(TestFrames.Make(1514, 2));
        Assert.Equal(TestFrames.Make(1514, 2), a.ReceiveFrame());

        Assert.Equal(("s1", (int?)null), (_test.Info("s0").Peer, _test.Info("s0").Hub));
        Assert.Equal(("s0", (int?)null), (_test.Info("s1").Peer, _test.Info("s1").Hub));
        _test.WaitUntil(n => n.SentFrames == 1 && n.ReceivedFrames == 1, "s1", "s1 counts a frame each way");
    }

    [Fact]
    public void ThePeerMustExistHaveNoPeerAndNotBeAHubPort()
    {
        Engine.AddNetdev(new HubportNetdevOptions { Id = "p0", HubId = 0 });
        Engine.AddNetdev(UnixServer("s0"));
        Engine.AddNetdev(UnixServer("s1", peer: "s0"));

        EngineException Refusal(string peer) => Assert.Throws<EngineException>(() => Engine.AddNetdev(UnixServer("s2", peer)));
        Assert.Equal((ErrorIds.NetdevNotFound, EngineErrorCategory.NotFound), (Refusal("missing").ErrorId, Refusal("missing").Category));
        Assert.Equal((ErrorIds.NetdevInUse, "netdev 's0' is already in use by 's1'"), (Refusal("s0").ErrorId, Refusal("s0").Message));
        Assert.Equal(ErrorIds.InvalidNetdevOptions, Refusal("p0").ErrorId);
        Assert.Equal(["p0", "s0", "s1"], Engine.GetNetdevs().Select(n => n.Id));
        Assert.False(File.Exists(_test.File("s2.sock")), "a refused netdev opened no socket");
    }

    [Fact]
    public void AHubPortTakesNoXPeerItIsPeeredThroughNetdev()
    {
        var e = Assert.Throws<EngineException>(() => Read("""{"type":"hubport","id":"p","hubid":0,"x-peer":"s"}"""));
        Assert.Equal("Parameter 'x-peer' is unexpected", e.Message);
        Engine.AddNetdev(UnixServer("s"));
        var port = new HubportNetdevOptions { Id = "p", HubId = 0, Peer = "s" };
        Assert.Equal(ErrorIds.InvalidNetdevOptions, Assert.Throws<EngineException>(() => Engine.AddNetdev(port)).ErrorId);
        Assert.Null(_test.Info("s").Peer);
        Assert.Equal("s", Read("""{"type":"socket","id":"n","listen":"127.0.0.1:1","x-peer":"s"}""").Peer);
    }

    [Fact]
    public void RemovingEitherNetdevUnpeersTheOtherWhoseFramesAreThenCountedAsNoPeer()
    {
        var (a, b) = PeeredPair();
        using var _ = a;
        using var __ = b;

        Engine.RemoveNetdev("s1");
        Assert.True(b.WaitForClose());
        Assert.Null(_test.Info("s0").Peer);
        a.SendFrame(TestFrames.Make(60, 3));
        _test.WaitUntil(n => n.SentDroppedNoPeer == 1, "s0", "s0 counts the frame as no-peer");

        Engine.AddNetdev(UnixServer("s2", peer: "s0"));
        Assert.Equal("s2", _test.Info("s0").Peer);
    }

    [Fact]
    public void ALinkDownOnEitherSideDropsBothWaysAndCountsIt()
    {
        var (a, b) = PeeredPair();
        using var _ = a;
        using var __ = b;

        Engine.SetLink("s0", false);
        a.SendFrame(TestFrames.Make(60, 4));
        b.SendFrame(TestFrames.Make(60, 5));
        _test.WaitUntil(n => n.SentDroppedLinkDown == 1 && n.ReceivedDroppedLinkDown == 1, "s0", "s0 drops a frame each way as link-down");

        Engine.SetLink("s0", true);
        Engine.SetLink("s1", false);
        a.SendFrame(TestFrames.Make(60, 6));
        b.SendFrame(TestFrames.Make(60, 7));
        _test.WaitUntil(n => n.SentDroppedLinkDown == 1 && n.ReceivedDroppedLinkDown == 1, "s1", "s1 drops a frame each way as link-down");

        Engine.SetLink("s1", true);
        a.SendFrame(TestFrames.Make(60, 8));
        Assert.Equal(TestFrames.Make(60, 8), b.ReceiveFrame());
    }

    private static NetdevOptions Read(string json) =>
        NetdevOptionsReader.Read(new OptionReader(OptionTree.FromJson(System.Text.Json.JsonDocument.Parse(json).RootElement)));
}
