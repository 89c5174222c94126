using Xunit;
using System.Diagnostics;
using System.Net.Sockets;

namespace ExportPS.Engine.Tests.Qmp;

/// <summary>A qemu-storage-daemon with a private QMP socket, killed by its PID on Dispose.</summary>
internal sealed class QsdProcess : IDisposable
{
    private const string Binary = "/usr/bin/qemu-storage-daemon";
    private readonly Process _process;
    private bool _disposed;

    public QsdProcess(string directory)
    {
        Assert.True(File.Exists(Binary), $"{Binary} is missing: install Debian's qemu-system-common (qemu-storage-daemon)");
        SocketPath = Path.Combine(directory, "qsd.qmp");
        var start = new ProcessStartInfo(Binary)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { "--chardev", $"socket,id=qmp0,path={SocketPath},server=on,wait=off", "--monitor", "chardev=qmp0" })
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start)!;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        // QEMU creates the socket file before it listens: wait until a connection is accepted.
        while (!Accepts(SocketPath))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                Dispose();
                Assert.Fail("qemu-storage-daemon did not accept QMP connections within 10 s");
            }

            Thread.Sleep(20);
        }
    }

    private static bool Accepts(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public string SocketPath { get; }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        finally
        {
            _process.Dispose();
        }
    }
}
