using ExportPS.Engine.Block;
using ExportPS.Engine.Model;
using ExportPS.Engine.Tests.Block;
using Xunit;

namespace ExportPS.Engine.Tests.NbdClient;

/// <summary>An nbd node of one engine against the NBD server of another: data, flags and block status through the client.</summary>
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
}
