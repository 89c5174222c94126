using ExportPS.Engine.Model;
using ExportPS.Engine.Tests.Net;
using ExportPS.Engine.Tests.VhostUserBlk;
using ExportPS.Engine.VhostUser;
using ExportPS.Engine.VhostUser.Net;
using Xunit;

namespace ExportPS.Engine.Tests.VhostUserNet;

/// <summary>
/// What the netdev query shows of a vhost-user netdev in an engine: the completions per virtqueue of the connected
/// front-end, and the reason a front-end that broke the protocol was dropped, while the engine's other netdevs go on.
/// </summary>
public sealed class VhostUserNetdevQueryTests : IDisposable
{
    private readonly NetdevTestEngine _test = new();

    public VhostUserNetdevQueryTests()
    {
        _test.Engine.AddNetdev(new VhostUserNetdevOptions { Id = "v0", Chardev = "c0", SocketPath = SocketPath, Queues = 2 });
        _test.AddHubPort("p0", "v0");
        _test.AddHubPort("p1");
    }

    private string SocketPath => _test.File("v0.sock");

    public void Dispose() => _test.Dispose();

    [Fact]
    public void TheQueryShowsTheVirtqueueCompletions_AndWhyABrokenFrontEndWasDropped()
    {
        Assert.Equal("rx0=0 tx0=0 rx1=0 tx1=0", _test.Info("v0").VirtqueueCompletions);
        Assert.Null(_test.Info("p1").VirtqueueCompletions);

        using (var frontEnd = new TestFrontEnd(SocketPath))
        {
            frontEnd.Negotiate(wantedFeatures: VirtioFeatures.Version1 | VirtioFeatures.ProtocolFeatures | VirtioNetFeatures.Mq);
            for (uint ring = 0; ring < 4; ring++)
            {
                frontEnd.StartRing(ring);
            }

            _test.WaitUntil(info => info.Connected, "v0", "the front-end's rings run");
            ulong header = frontEnd.Guest.Allocate(12);
            ulong data = frontEnd.Guest.Allocate(60);
            TestFrames.Ethernet(0x0806, 60).CopyTo(frontEnd.Guest.At(data, 60));
            frontEnd.Vring(3).Post(new(header, 12, false), new(data, 60, false));
            frontEnd.KickAndWait(3, 1);
            Assert.Equal("rx0=0 tx0=0 rx1=0 tx1=1", _test.Info("v0").VirtqueueCompletions);
            Assert.Equal(1, _test.Info("p0").ReceivedFrames);

            frontEnd.SendRaw([.. Enumerable.Repeat((byte)0xee, 12)]);
            Assert.True(frontEnd.WaitClosed());
        }

        _test.WaitUntil(info => info.Failure is not null, "v0", "the broken front-end is dropped");
        var v0 = _test.Info("v0");
        Assert.Contains("version", v0.Failure);
        Assert.False(v0.Connected);
        Assert.Null(_test.Info("p1").Failure);
        Assert.True(_test.Info("p1").LinkUp);
    }
}
