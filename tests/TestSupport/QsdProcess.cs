using Xunit;

namespace ExportPS.TestSupport;

/// <summary>A qemu-storage-daemon with a private QMP socket, killed by its PID on Dispose.</summary>
internal sealed class QsdProcess : IDisposable
{
    private readonly PeerProcess.Background _process;

    public QsdProcess(string directory)
    {
        SocketPath = Path.Combine(directory, "qsd.qmp");
        _process = new PeerProcess.Background(Peer.QemuStorageDaemon,
            ["--chardev", $"socket,id=qmp0,path={SocketPath},server=on,wait=off", "--monitor", "chardev=qmp0"]);
        try
        {
            // QEMU creates the socket file before it listens: wait until a connection is accepted.
            _process.WaitUntil(() => SocketProbe.Accepts(SocketPath), "QMP connections were accepted", TimeSpan.FromSeconds(10));
        }
        catch
        {
            _process.Dispose();
            throw;
        }
    }

    public string SocketPath { get; }

    public void Dispose() => _process.Dispose();
}
