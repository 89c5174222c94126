using ExportPS.Engine.Model;

namespace ExportPS.Engine.Tests.NbdClient;

/// <summary>Options of an nbd node for the test servers (ExportPS's own, or a peer started by <see cref="PeerNbdServer"/>).</summary>
internal static class RemoteNode
{
    public static BlockNodeOptions Options(NbdTestServer server, string export = "disk", string nodeName = "remote") =>
        Options(server.SocketPath is { } path ? SocketAddressOptions.Unix(path) : SocketAddressOptions.Inet("127.0.0.1", server.Port), export, nodeName);

    public static BlockNodeOptions Options(SocketAddressOptions address, string export, string nodeName = "remote") => new()
    {
        NodeName = nodeName,
        Driver = BlockDriverKind.Nbd,
        Server = address,
        Export = export,
    };
}
