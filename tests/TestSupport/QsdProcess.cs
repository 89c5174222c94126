namespace ExportPS.TestSupport;

/// <summary>A qemu-storage-daemon with a private QMP socket, killed by its PID on Dispose.</summary>
internal sealed class QsdProcess(string directory) : QemuQmpProcess(Path.Combine(directory, "qsd.qmp"), Peer.QemuStorageDaemon,
    ["--chardev", $"socket,id=qmp0,path={Path.Combine(directory, "qsd.qmp")},server=on,wait=off", "--monitor", "chardev=qmp0"]);
