namespace ExportPS.TestSupport;

/// <summary>A QEMU program serving QMP on a private unix socket, killed by its PID on Dispose.</summary>
internal class QemuQmpProcess : IDisposable
{
    private readonly PeerProcess.Background _process;

    protected QemuQmpProcess(string socketPath, string program, IReadOnlyList<string> arguments)
    {
        SocketPath = socketPath;
        _process = new PeerProcess.Background(program, arguments);
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

    /// <summary>qemu-system-x86_64 with no machine and no default devices: the netdev and object commands, no guest.</summary>
    public static QemuQmpProcess MachineNone(string directory)
    {
        string socketPath = Path.Combine(directory, "qemu.qmp");
        return new QemuQmpProcess(socketPath, Peer.QemuSystem,
            ["-machine", "none", "-nodefaults", "-display", "none", "-qmp", $"unix:{socketPath},server=on,wait=off"]);
    }

    public void Dispose() => _process.Dispose();
}
