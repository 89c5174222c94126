using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Xunit;

namespace ExportPS.Engine.Tests.Host;

/// <summary>
/// The built host executable (exportps-host.dll, started with dotnet) as a child process: waits for its socket, stops it
/// with a signal, and is always killed by its id on Dispose.
/// </summary>
internal sealed partial class HostProcess : IDisposable
{
    private const int SigInt = 2;
    private const int SigTerm = 15;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(15);

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly Task<string> _stderr;
    private readonly ManualResetEventSlim _stdoutClosed = new();
    private volatile bool _serving;

    private HostProcess(Process process)
    {
        _process = process;
        _stderr = process.StandardError.ReadToEndAsync();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _stdoutClosed.Set();
                return;
            }

            lock (_stdout)
            {
                _stdout.Append(e.Data).Append('\n');
            }

            // The host prints its summary only after every option ran, so the endpoint is this host's, not a stranger's.
            _serving |= e.Data.StartsWith("exportps-host: NBD server on ", StringComparison.Ordinal);
        };
        process.BeginOutputReadLine();
    }

    public int Id => _process.Id;

    public static HostProcess Start(params string[] args)
    {
        var start = new ProcessStartInfo(DotnetPath())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(HostAssembly());
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new HostProcess(Process.Start(start) ?? throw new InvalidOperationException("the host process did not start"));
    }

    /// <summary>The host next to the test assembly (copied as a project reference), else its own build output.</summary>
    public static string HostAssembly()
    {
        string beside = Path.Combine(AppContext.BaseDirectory, "exportps-host.dll");
        if (File.Exists(beside))
        {
            return beside;
        }

        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "ExportPS.sln")))
        {
            root = root.Parent;
        }

        string[] configurations = ["Release", "Debug"];
        string[] built = root is null ? [] : configurations
            .Select(c => Path.Combine(root.FullName, "src", "ExportPS.Host", "bin", c, "net8.0", "exportps-host.dll"))
            .Where(File.Exists)
            .ToArray();
        Assert.True(built.Length > 0, $"exportps-host.dll is neither in {AppContext.BaseDirectory} nor under src/ExportPS.Host/bin: build the solution first");
        return built[0];
    }

    /// <summary>
    /// Waits until the host said it serves and a client can connect to the endpoint; fails early (with the host's
    /// stderr) if the host exits.
    /// </summary>
    public void WaitForTcp(int port) => WaitFor(() => _serving && TryConnect(new IPEndPoint(IPAddress.Loopback, port)), $"127.0.0.1:{port}");

    public void WaitForUnix(string path) => WaitFor(() => _serving && File.Exists(path) && TryConnect(new UnixDomainSocketEndPoint(path)), path);

    /// <summary>Sends SIGTERM (or SIGINT) and returns the exit code; fails if the host does not exit in time.</summary>
    public int Stop(bool interrupt = false)
    {
        Assert.Equal(0, Kill(_process.Id, interrupt ? SigInt : SigTerm));
        Assert.True(_process.WaitForExit(ExitTimeout), $"the host did not exit within {ExitTimeout} of the signal");
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Waits for a host that exits on its own (a refused command line) and returns the exit code.</summary>
    public int WaitForExit()
    {
        Assert.True(_process.WaitForExit(StartTimeout), $"the host did not exit within {StartTimeout}");
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Everything the host wrote to stdout; only complete after it exited.</summary>
    public string Output
    {
        get
        {
            if (!_stdoutClosed.Wait(ExitTimeout))
            {
                throw new TimeoutException("host stdout did not close");
            }

            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Error => _stderr.Wait(ExitTimeout) ? _stderr.Result : throw new TimeoutException("host stderr did not close");

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        finally
        {
            // _stdoutClosed is not disposed: the output callback may still set it after the process is gone.
            _process.Dispose();
        }
    }

    private void WaitFor(Func<bool> ready, string what)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (!ready())
        {
            if (_process.HasExited)
            {
                Assert.Fail($"the host exited with {_process.ExitCode} before {what} accepted connections: {Error}");
            }

            Assert.True(DateTime.UtcNow < deadline, $"{what} did not accept connections within {StartTimeout}");
            Thread.Sleep(50);
        }
    }

    private static bool TryConnect(EndPoint endPoint)
    {
        using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(endPoint);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string DotnetPath() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
