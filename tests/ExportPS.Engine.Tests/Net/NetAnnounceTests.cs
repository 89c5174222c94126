using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Net;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

/// <summary>announce-self: RARP frames out of a netdev's far end, round after round; a re-issued id replaces the running one.</summary>
public sealed class NetAnnounceTests : IDisposable
{
    private readonly NetdevTestEngine _test = new();
    private readonly StreamTestPeer _peer;

    public NetAnnounceTests()
    {
        _test.Engine.AddNetdev(new StreamNetdevOptions { Id = "s0", Server = true, Address = SocketAddressOptions.Unix(_test.File("s0.sock")) });
        _peer = StreamTestPeer.ConnectUnix(_test.File("s0.sock"));
        _test.WaitUntil(n => n.Connected, "s0", "s0 has its peer");
    }

    public void Dispose()
    {
        _peer.Dispose();
        _test.Dispose();
    }

    private static byte[] Rarp(string mac)
    {
        var frame = new byte[RarpAnnounceFrame.Length];
        RarpAnnounceFrame.Write(MacAddress.Parse(mac), frame);
        return frame;
    }

    [Fact]
    public void EachRoundSendsOneRarpFramePerAddressOutOfTheNetdev()
    {
        _test.Engine.Announce(new NetAnnounceOptions
        {
            Interfaces = ["s0"],
            MacAddresses = ["52:54:00:77:00:01", "52:54:00:77:00:02"],
            Initial = 10,
            Max = 50,
            Rounds = 3,
            Step = 10,
        });

        for (int round = 0; round < 3; round++)
        {
            Assert.Equal(Rarp("52:54:00:77:00:01"), _peer.ReceiveFrame());
            Assert.Equal(Rarp("52:54:00:77:00:02"), _peer.ReceiveFrame());
        }

        _test.WaitUntil(n => n.ReceivedFrames == 6, "s0", "six announcements went out");
    }

    [Fact]
    public void ReissuingAnIdReplacesTheRunningAnnouncement()
    {
        var slow = new NetAnnounceOptions { Id = "a", Interfaces = ["s0"], MacAddresses = ["52:54:00:77:00:01"], Initial = 400, Max = 400, Rounds = 5, Step = 0 };
        _test.Engine.Announce(slow);
        Assert.Equal(Rarp("52:54:00:77:00:01"), _peer.ReceiveFrame());
        _test.Engine.Announce(slow with { MacAddresses = ["52:54:00:77:00:02"], Rounds = 1 });
        Assert.Equal(Rarp("52:54:00:77:00:02"), _peer.ReceiveFrame());

        Thread.Sleep(1000);
        Assert.Equal(2, _test.Info("s0").ReceivedFrames);
    }

    [Fact]
    public void AnUnknownNetdevOrABadAddressIsRefused()
    {
        Assert.Equal(ErrorIds.NetdevNotFound, Assert.Throws<EngineException>(() =>
            _test.Engine.Announce(new NetAnnounceOptions { Interfaces = ["nope"], MacAddresses = ["52:54:00:77:00:01"] })).ErrorId);
        Assert.Equal(ErrorIds.InvalidArgument, Assert.Throws<EngineException>(() =>
            _test.Engine.Announce(new NetAnnounceOptions { Interfaces = ["s0"], MacAddresses = ["not-a-mac"] })).ErrorId);
    }
}
