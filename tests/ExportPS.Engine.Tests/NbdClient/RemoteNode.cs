using ExportPS.Engine.Model;

namespace ExportPS.Engine.Tests.NbdClient;

/// <summary>Options of an nbd node named "remote" for the test servers.</summary>
internal static class RemoteNode
{
    public static BlockNodeOptions Options(NbdTestServer server, string export = "disk") => new()
    {
        NodeName = "remote",
        Driver = BlockDriverKind.Nbd,
        Server = server.SocketPath is { } path ? SocketAddressOptions.Unix(path) : SocketAddressOptions.Inet("127.0.0.1", server.Port),
        Export = export,
    };
}
