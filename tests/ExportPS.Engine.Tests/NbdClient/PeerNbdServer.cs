using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ExportPS.Engine.Model;
using Xunit;

namespace ExportPS.Engine.Tests.NbdClient;

/// <summary>
/// A real NBD server (qemu-nbd, nbdkit or nbd-server) serving one export in a private temp directory, on a unix socket
/// there or on a free loopback port; killed by its id on Dispose, and restartable on the same address.
/// </summary>
internal sealed class PeerNbdServer : IDisposable
{
    private readonly Func<PeerNbdServer, (string File, string[] Arguments)> _command;
    private readonly bool _detaches;
    private PeerProcess.Background? _process;
    private Process? _detached;

    /// <param name="detaches">The server forks and its first process exits (nbd-server): it is found by its pid file.</param>
    private PeerNbdServer(TempDirectory directory, bool unix, string export, Func<PeerNbdServer, (string, string[])> command, bool detaches = false)
    {
        Directory = directory;
        Export = export;
        SocketPath = unix ? directory.File("nbd.sock") : null;
        Port = unix ? 0 : FreePort();
        _command = command;
        _detaches = detaches;
        Start();
    }

    public TempDirectory Directory { get; }

    public string Export { get; }

    public string? SocketPath { get; }

    public int Port { get; }

    public SocketAddressOptions Address => SocketPath is { } path ? SocketAddressOptions.Unix(path) : SocketAddressOptions.Inet("127.0.0.1", Port);

    /// <summary>nbd+unix or nbd URI for libnbd tools.</summary>
    public string Uri => SocketPath is { } path ? $"nbd+unix:///{Export}?socket={path}" : $"nbd://127.0.0.1:{Port}/{Export}";

    /// <summary>
    /// Written by the server once it listens. Readiness is waited for with it, not by connecting: nbdkit 1.32 can shut
    /// down a later connection whose descriptor reuses that of a probe that hung up mid-handshake.
    /// </summary>
    private string PidFile => Directory.File("server.pid");

    public BlockNodeOptions NodeOptions(string nodeName = "remote") => RemoteNode.Options(Address, Export, nodeName);

    /// <summary>qemu-nbd serving <paramref name="image"/> (raw) as export "img".</summary>
    public static PeerNbdServer QemuNbd(TempDirectory directory, string image, bool unix = true, bool readOnly = false) =>
        new(directory, unix, "img", server => (Peer.QemuNbd,
        [
            "-f", "raw", "-x", server.Export, "--persistent", "--shared=8", "--cache=writeback", $"--pid-file={server.PidFile}",
            .. server.SocketPath is { } path ? new[] { "-k", path } : ["-b", "127.0.0.1", "-p", server.Port.ToString()],
            .. readOnly ? new[] { "-r" } : [],
            image,
        ]));

    /// <summary>nbdkit with <paramref name="pluginAndFilters"/> (filters first, then the plugin and its parameters), export "" and any name.</summary>
    public static PeerNbdServer NbdkitServer(TempDirectory directory, bool unix, params string[] pluginAndFilters) =>
        new(directory, unix, string.Empty, server => (Peer.Nbdkit,
        [
            "-f", "-P", server.PidFile,
            .. server.SocketPath is { } path ? new[] { "-U", path } : ["-i", "127.0.0.1", "-p", server.Port.ToString()],
            .. pluginAndFilters,
        ]));

    /// <summary>nbd-server (TCP only here) serving <paramref name="image"/> as export "img". It detaches: its -d mode serves one connection only.</summary>
    public static PeerNbdServer NbdServerOf(TempDirectory directory, string image) =>
        new(directory, unix: false, "img", server =>
        {
            string config = directory.File("nbd-server.conf");
            File.WriteAllText(config,
                $"[generic]\nlistenaddr = 127.0.0.1\nport = {server.Port}\n[img]\nexportname = {image}\nflush = true\nfua = true\ntrim = true\n");
            return (Peer.NbdServer, ["-C", config, "-p", server.PidFile]);
        }, detaches: true);

    /// <summary>Starts the server (again) and waits until it listens.</summary>
    public void Start()
    {
        File.Delete(PidFile);
        var (file, arguments) = _command(this);
        if (_detaches)
        {
            PeerProcess.Run(file, arguments, TimeSpan.FromSeconds(20)).Check(file);
            WaitFor(() => File.Exists(PidFile) && File.ReadAllText(PidFile).Trim().Length > 0, file);
            _detached = Process.GetProcessById(int.Parse(File.ReadAllText(PidFile).Trim()));

            // nbd-server writes its pid file before it listens, and forks a handler per connection, so probing is safe.
            WaitFor(Accepts, file);
            return;
        }

        _process = new PeerProcess.Background(file, arguments);
        _process.WaitUntil(() => File.Exists(PidFile) && File.ReadAllText(PidFile).Trim().Length > 0, $"{_process.Name} listens", TimeSpan.FromSeconds(20));
    }

    private static void WaitFor(Func<bool> ready, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!ready())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what} did not get ready");
            Thread.Sleep(20);
        }
    }

    /// <summary>Kills the server by its id (SIGKILL: it says nothing to its clients).</summary>
    public void Kill()
    {
        _process?.Dispose();
        _process = null;
        if (_detached is { } detached)
        {
            // Its connection handlers are its children.
            detached.Kill(entireProcessTree: true);
            detached.WaitForExit(5000);
            detached.Dispose();
            _detached = null;
        }

        if (SocketPath is { } path)
        {
            File.Delete(path);
        }
    }

    private bool Accepts()
    {
        using var socket = SocketPath is { } path
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Connect(SocketPath is { } unix ? new UnixDomainSocketEndPoint(unix) : new IPEndPoint(IPAddress.Loopback, Port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>A port no one listens on right now (the kernel's pick, released for the peer to bind).</summary>
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose() => Kill();
}
