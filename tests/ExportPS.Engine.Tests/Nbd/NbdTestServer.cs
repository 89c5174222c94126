using ExportPS.Engine.Model;

namespace ExportPS.Engine.Tests.Nbd;

/// <summary>
/// An engine with a running NBD server on 127.0.0.1 port 0 (or a unix socket in a private temp directory) and one
/// memory export, torn down completely on Dispose. The disk has discard=unmap, so trims and unmapping write-zeroes
/// reach its driver.
/// </summary>
internal sealed class NbdTestServer : IDisposable
{
    public const long DefaultSize = 64L << 20;

    public NbdTestServer(long size = DefaultSize, bool writable = true, bool unix = false, uint maxConnections = 0,
        string? description = null, Func<BlockExportOptions, BlockExportOptions>? configure = null, bool addExport = true)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("exportps-nbd-").FullName;
        Engine = new ExportEngine();
        var address = unix ? SocketAddressOptions.Unix(Path.Combine(Directory, "nbd.sock")) : SocketAddressOptions.Inet("127.0.0.1", 0);
        Server = Engine.StartNbdServer(new NbdServerOptions { Address = address, MaxConnections = maxConnections });
        Engine.AddBlockNode(new BlockNodeOptions { NodeName = "disk", Driver = BlockDriverKind.Memory, Size = size, Discard = BlockDiscardMode.Unmap });
        if (addExport)
        {
            var options = new BlockExportOptions
            {
                Id = "exp",
                NodeName = "disk",
                Writable = writable,
                Nbd = new NbdExportOptions { Description = description },
            };
            Engine.AddBlockExport(configure?.Invoke(options) ?? options);
        }
    }

    public ExportEngine Engine { get; }

    public NbdServerInfo Server { get; }

    public string Directory { get; }

    public int Port => Server.Port;

    public string? SocketPath => Server.Port == 0 ? Path.Combine(Directory, "nbd.sock") : null;

    /// <summary>An NBD URI for libnbd tools: nbd://127.0.0.1:PORT/NAME or nbd+unix:///NAME?socket=PATH.</summary>
    public string Uri(string exportName = "disk") => SocketPath is { } path
        ? $"nbd+unix:///{exportName}?socket={path}"
        : $"nbd://127.0.0.1:{Port}/{exportName}";

    /// <summary>QEMU's spelling (qemu-img, qemu-io): nbd:127.0.0.1:PORT:exportname=NAME or nbd:unix:PATH:exportname=NAME.</summary>
    public string QemuUri(string exportName = "disk") => SocketPath is { } path
        ? $"nbd:unix:{path}:exportname={exportName}"
        : $"nbd:127.0.0.1:{Port}:exportname={exportName}";

    public string TempFile(string name) => Path.Combine(Directory, name);

    public void Dispose()
    {
        Engine.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A peer process may still be closing a file in it; the temp directory is cleaned by the OS later.
        }
    }
}
