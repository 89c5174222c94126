using System.Net.Sockets;
using ExportPS.Engine.Block;
using ExportPS.Engine.Model;
using Xunit;

namespace ExportPS.Engine.Tests.NbdClient;

/// <summary>A server that breaks the protocol mid-transmission: the read fails with EIO, the node reports it, nothing crashes.</summary>
public sealed class NbdClientBadServerTests
{
    private const ushort Done = 1;
    private const ushort OffsetData = 1;

    public static TheoryData<string> Misbehaviours => ["wrong magic", "unknown cookie", "chunk past the request", "oversized chunk", "drop mid-reply", "hole overlapping data"];

    [Theory]
    [MemberData(nameof(Misbehaviours))]
    public async Task BrokenReplyFailsTheReadAndLeavesTheNodeReporting(string misbehaviour)
    {
        using var server = new MisbehavingNbdServer(Behaviour(misbehaviour));
        using var engine = new ExportEngine();
        engine.AddBlockNode(RemoteNode.Options(SocketAddressOptions.Inet("127.0.0.1", server.Port), "x"));
        var node = engine.Graph.GetNode("remote");

        var destination = new byte[4096];
        var error = await Assert.ThrowsAsync<BlockIoException>(() => node.ReadAsync(4096, destination).AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(BlockError.Io, error.Error);

        var info = engine.GetBlockNodes().Single();
        Assert.Equal(NbdConnectionState.Disconnected, info.ConnectionState);
        Assert.NotNull(info.ConnectionError);
    }

    private static Action<Socket, ulong, ulong, uint> Behaviour(string misbehaviour) => misbehaviour switch
    {
        "wrong magic" => (socket, cookie, _, _) => socket.Send(new byte[16]),
        "unknown cookie" => (socket, cookie, offset, _) => socket.Send([.. MisbehavingNbdServer.Chunk(Done, 0, cookie + 1000, 0)]),
        "chunk past the request" => (socket, cookie, offset, length) =>
            socket.Send([.. MisbehavingNbdServer.Chunk(Done, OffsetData, cookie, 8 + 512), .. MisbehavingNbdServer.Offset(offset + length), .. new byte[512]]),
        "oversized chunk" => (socket, cookie, offset, length) =>
            socket.Send([.. MisbehavingNbdServer.Chunk(Done, OffsetData, cookie, 8 + length * 2), .. MisbehavingNbdServer.Offset(offset)]),
        "drop mid-reply" => (socket, cookie, offset, length) =>
            socket.Send([.. MisbehavingNbdServer.Chunk(Done, OffsetData, cookie, 8 + length), .. MisbehavingNbdServer.Offset(offset), .. new byte[100]]),
        _ => (socket, cookie, offset, length) =>
            socket.Send([.. MisbehavingNbdServer.Chunk(0, OffsetData, cookie, 8 + length), .. MisbehavingNbdServer.Offset(offset), .. new byte[length],
                .. MisbehavingNbdServer.Chunk(Done, 2, cookie, 12), .. MisbehavingNbdServer.Offset(offset), 0, 0, 2, 0]),
    };
}
