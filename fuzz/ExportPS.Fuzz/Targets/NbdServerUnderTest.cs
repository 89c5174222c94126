using ExportPS.Engine.Block;
using ExportPS.Engine.Exports.Nbd;
using ExportPS.Engine.Model;

namespace ExportPS.Fuzz.Targets;

/// <summary>
/// An NBD server with one writable export "disk" over a 1 MiB memory node, built afresh for every input (no listener:
/// the connection runs over a <see cref="MemoryTransport"/>), so one input cannot change what the next one sees.
/// </summary>
internal sealed class NbdServerUnderTest : IDisposable
{
    public const string ExportName = "disk";
    public const long Size = 1 << 20;

    private readonly BlockNode _node;
    private readonly NbdExport _export;

    /// <param name="driver">The export's data instead of the memory node (a test's driver that watches the requests).</param>
    public NbdServerUnderTest(IBlockDriver? driver = null)
    {
        Server = new NbdServer(new NbdServerOptions { Address = SocketAddressOptions.Inet("127.0.0.1", 0) });
        var nodeOptions = new BlockNodeOptions { NodeName = ExportName, Driver = BlockDriverKind.Memory, Size = Size, Discard = BlockDiscardMode.Unmap };
        _node = new BlockNode(nodeOptions, driver ?? BlockDriverFactory.Open(nodeOptions), null);
        _export = new NbdExport(new BlockExportOptions { Id = ExportName, NodeName = ExportName, Writable = true }, _node, null, Server, []);
    }

    public NbdServer Server { get; }

    public NbdConnection Connect(ReadOnlyMemory<byte> clientBytes) => new(Server, new MemoryTransport(clientBytes), "fuzz");

    public void Dispose()
    {
        _export.RequestShutdown(dropClients: true);
        Server.Dispose();
        _node.Dispose();
    }
}
