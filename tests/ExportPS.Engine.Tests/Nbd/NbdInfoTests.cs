using System.Text.Json;
using Xunit;

namespace ExportPS.Engine.Tests.Nbd;

/// <summary>nbdinfo (libnbd) against the server: what a client learns in the handshake.</summary>
public sealed class NbdInfoTests
{
    private const string NbdInfo = Peer.NbdInfo;

    [Fact]
    public void JsonShowsSizeFlagsBlockSizesAndDescription()
    {
        using var server = new NbdTestServer(description: "a memory disk");
        var result = PeerProcess.Run(NbdInfo, ["--json", server.Uri()]).Check("nbdinfo --json");
        using var json = JsonDocument.Parse(result.Stdout);
        var export = json.RootElement.GetProperty("exports")[0];
        Assert.Equal("disk", export.GetProperty("export-name").GetString());
        Assert.Equal("a memory disk", export.GetProperty("description").GetString());
        Assert.Equal(NbdTestServer.DefaultSize, export.GetProperty("export-size").GetInt64());
        Assert.False(export.GetProperty("is_read_only").GetBoolean());
        Assert.True(export.GetProperty("can_flush").GetBoolean());
        Assert.True(export.GetProperty("can_fua").GetBoolean());
        Assert.True(export.GetProperty("can_trim").GetBoolean());
        Assert.True(export.GetProperty("can_zero").GetBoolean());
        Assert.True(export.GetProperty("can_fast_zero").GetBoolean());
        Assert.True(export.GetProperty("can_df").GetBoolean());
        Assert.True(export.GetProperty("can_cache").GetBoolean());
        Assert.True(export.GetProperty("can_multi_conn").GetBoolean());
        Assert.Equal(1, export.GetProperty("block_size_minimum").GetInt32());
        Assert.Equal(4096, export.GetProperty("block_size_preferred").GetInt32());
        Assert.Equal(32 << 20, export.GetProperty("block_size_maximum").GetInt32());
        Assert.Equal("newstyle-fixed", json.RootElement.GetProperty("protocol").GetString());
    }
}
