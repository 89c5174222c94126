using System.Diagnostics;
using ExportPS.Engine.Block;
using ExportPS.Engine.Model;
using ExportPS.Engine.Tests.Block;
using Xunit;

namespace ExportPS.Engine.Tests.NbdClient;

/// <summary>A server that goes away: requests wait up to reconnect-delay, acknowledged writes survive, and one that stays away fails cleanly.</summary>
public sealed class NbdClientReconnectTests : IDisposable
{
    private readonly TempDirectory _directory = new("eps-nbdr-");
    private readonly ExportEngine _engine = new();

    [Fact]
    public async Task ServerRestartedWithinTheDelayLosesNoAcknowledgedWrite()
    {
        string image = _directory.SparseFile(8 << 20);
        using var peer = PeerNbdServer.QemuNbd(_directory, image);
        _engine.AddBlockNode(peer.NodeOptions() with { ReconnectDelay = 20 });
        var node = _engine.Graph.GetNode("remote");
        var first = TestNodes.Pattern(1 << 20, seed: 11);
        await node.WriteAsync(0, first);

        peer.Kill();
        var second = TestNodes.Pattern(1 << 20, seed: 12);
        var pending = node.WriteAsync(2 << 20, second).AsTask();
        await WaitForState(NbdConnectionState.Reconnecting);
        Assert.False(pending.IsCompleted, "a write completed while the server was away");

        peer.Start();
        await pending.WaitAsync(TimeSpan.FromSeconds(20));
        await node.FlushAsync();
        Assert.Equal(first, TestNodes.Read(node, 0, first.Length));
        Assert.Equal(second, TestNodes.Read(node, 2 << 20, second.Length));
        var info = _engine.GetBlockNodes().Single();
        Assert.Equal(NbdConnectionState.Connected, info.ConnectionState);
        Assert.Equal(1, info.Reconnects);
    }

    [Fact]
    public async Task ServerThatStaysAwayFailsRequestsWithEioAndIsPickedUpWhenItReturns()
    {
        string image = _directory.SparseFile(8 << 20);
        using var peer = PeerNbdServer.QemuNbd(_directory, image);
        _engine.AddBlockNode(peer.NodeOptions() with { ReconnectDelay = 1 });
        var node = _engine.Graph.GetNode("remote");

        peer.Kill();
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<BlockIoException>(() => node.ReadAsync(0, new byte[4096]).AsTask());
        Assert.Equal(BlockError.Io, error.Error);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(10));
        await WaitForState(NbdConnectionState.Disconnected);
        Assert.Contains("is not connected", error.Message);

        // Past the delay, requests fail at once.
        clock.Restart();
        await Assert.ThrowsAsync<BlockIoException>(() => node.ReadAsync(0, new byte[4096]).AsTask());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"a request past the delay took {clock.Elapsed}");

        peer.Start();
        await WaitForState(NbdConnectionState.Connected);
        await node.WriteAsync(0, new byte[4096]);
    }

    private async Task WaitForState(NbdConnectionState state)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (_engine.GetBlockNodes().Single().ConnectionState != state)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the node did not become {state}");
            await Task.Delay(20);
        }
    }

    public void Dispose()
    {
        _engine.Dispose();
        _directory.Dispose();
    }
}
