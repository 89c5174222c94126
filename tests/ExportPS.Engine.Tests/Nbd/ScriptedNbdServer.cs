using System.Net;
using ExportPS.Engine.Block;
using ExportPS.Engine.Exports.Nbd;
using ExportPS.Engine.Model;
using ExportPS.Engine.Threading;

namespace ExportPS.Engine.Tests.Nbd;

/// <summary>An NBD server with one export "disk" over a <see cref="ScriptedBlockDriver"/>, built without an engine.</summary>
internal sealed class ScriptedNbdServer : IDisposable
{
    private readonly NbdServer _server;
    private readonly NbdExport _export;

    public ScriptedNbdServer(long size = 1 << 20, bool writethrough = false, IoThread? ioThread = null)
    {
        Driver = new ScriptedBlockDriver(size);
        _server = new NbdServer(new NbdServerOptions { Address = SocketAddressOptions.Inet("127.0.0.1", 0) });
        _server.Start();
        var options = new BlockExportOptions { Id = "scripted", NodeName = "disk", Writable = true, Writethrough = writethrough };
        var node = new BlockNode(new BlockNodeOptions { NodeName = "disk", Driver = BlockDriverKind.Memory, Size = size, Discard = BlockDiscardMode.Unmap }, Driver, null);
        _export = new NbdExport(options, node, ioThread, _server, []);
        EndPoint = new IPEndPoint(IPAddress.Loopback, _server.ToInfo(1).Port);
    }

    public ScriptedBlockDriver Driver { get; }

    public IPEndPoint EndPoint { get; }

    internal NbdConnection[] Connections => _server.Connections();

    public NbdTestClient Connect(bool structured = true) => new NbdTestClient(EndPoint).Connect(structured: structured);

    public void Dispose()
    {
        _server.StopListening();
        _export.RequestShutdown(dropClients: true);
        _server.Dispose();
    }
}
