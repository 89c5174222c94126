using ExportPS.Engine.Block;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Tests.Block;
using Xunit;

namespace ExportPS.Engine.Tests.NbdClient;

/// <summary>An nbd node of one engine against the NBD server of another: data, flags, block status and multi-conn through the client.</summary>
public sealed class NbdClientOwnServerTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DataWrittenThroughTheNodeReachesTheRemoteNode(bool unix)
    {
        using var server = new NbdTestServer(unix: unix);
        using var client = new ExportEngine();
        var info = client.AddBlockNode(RemoteNode.Options(server));
        Assert.Equal(NbdTestServer.DefaultSize, info.Size);
        Assert.Equal(NbdConnectionState.Connected, info.ConnectionState);
        Assert.False(info.ReadOnly);

        var node = client.Graph.GetNode("remote");
        var data = TestNodes.Pattern(3 << 20, seed: 3);
        await node.WriteAsync(12345, data);
        await node.FlushAsync();

        Assert.Equal(data, TestNodes.Read(server.Engine.Graph.GetNode("disk"), 12345, data.Length));
        Assert.Equal(data, TestNodes.Read(node, 12345, data.Length));
    }

    [Fact]
    public async Task MultiConnOpensTheAskedConnectionsAndSpreadsRequestsOverThem()
    {
        using var server = new NbdTestServer();
        using var client = new ExportEngine();
        var info = client.AddBlockNode(RemoteNode.Options(server) with { XMultiConn = 4 });
        Assert.Equal(4, info.Connections);
        Assert.Equal(4, server.Engine.GetBlockExports().Single().Clients);

        // 32 writes at once, then a flush on one connection, then reads at once: each sees every other's data.
        var node = client.Graph.GetNode("remote");
        var data = TestNodes.Pattern(32 * 65536, seed: 4);
        await Task.WhenAll(Enumerable.Range(0, 32).Select(i => node.WriteAsync(i * 65536L, data.AsMemory(i * 65536, 65536)).AsTask()));
        await node.FlushAsync();
        Assert.Equal(data, TestNodes.Read(server.Engine.Graph.GetNode("disk"), 0, data.Length));
        var read = new byte[data.Length];
        await Task.WhenAll(Enumerable.Range(0, 32).Select(i => node.ReadAsync(i * 65536L, read.AsMemory(i * 65536, 65536)).AsTask()));
        Assert.Equal(data, read);
    }

    [Fact]
    public void ServerWithoutMultiConnGetsOneConnection()
    {
        using var server = new NbdTestServer(maxConnections: 1);
        using var client = new ExportEngine();
        Assert.Equal(1, client.AddBlockNode(RemoteNode.Options(server) with { XMultiConn = 4 }).Connections);
        Assert.Equal(1, server.Engine.GetBlockExports().Single().Clients);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(17u)]
    public void MultiConnOutOfRangeIsRefused(uint connections)
    {
        using var server = new NbdTestServer();
        using var client = new ExportEngine();
        var error = Assert.Throws<EngineException>(() => client.AddBlockNode(RemoteNode.Options(server) with { XMultiConn = connections }));
        Assert.Equal(ErrorIds.InvalidBlockNodeOptions, error.ErrorId);
        Assert.Contains("x-multi-conn must be between 1 and 16", error.Message);
        var memory = Assert.Throws<EngineException>(() => client.AddBlockNode(new BlockNodeOptions { NodeName = "m", Driver = BlockDriverKind.Memory, Size = 4096, XMultiConn = 2 }));
        Assert.Equal(ErrorIds.InvalidBlockNodeOptions, memory.ErrorId);
    }
}
