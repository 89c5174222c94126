using System.Net;
using System.Net.Sockets;
using Xunit;

namespace ExportPS.TestSupport;

/// <summary>
/// The built host executable (exportps-host.dll, started with dotnet) as a child process: waits for its socket, stops it
/// with a signal, and is always killed by its id on Dispose.
/// </summary>
internal sealed class HostProcess : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(15);

    private readonly PeerProcess.Background _process;
    private volatile bool _serving;

    private HostProcess(string file, string[] args)
    {
        // The host prints its summary only after every option ran, so the endpoint is this host's, not a stranger's.
        _process = new PeerProcess.Background(file, args,
            line => _serving |= line.StartsWith("exportps-host: ", StringComparison.Ordinal) && line.EndsWith("; stop with Ctrl+C or SIGTERM", StringComparison.Ordinal));
    }

    public int Id => _process.Id;

    public static HostProcess Start(params string[] args) => new(DotnetPath(), [HostAssembly(), .. args]);

    /// <summary>
    /// The host started with SIGINT ignored (as a non-interactive shell starts a background job) or at its default,
    /// whatever this test process inherited; `env` execs it, so the process id is the host's.
    /// </summary>
    public static HostProcess StartWithSigInt(bool ignored, params string[] args) =>
        new("env", [ignored ? "--ignore-signal=INT" : "--default-signal=INT", DotnetPath(), HostAssembly(), .. args]);

    /// <summary>The host run as another user (setpriv execs it, so the process id is the host's), with HOME in <paramref name="home"/>.</summary>
    public static HostProcess StartAs(int uid, int gid, string home, params string[] args) =>
        new("setpriv", [$"--reuid={uid}", $"--regid={gid}", "--clear-groups", "--", "env", $"HOME={home}", DotnetPath(), HostAssembly(), .. args]);

    /// <summary>The host inside network namespace <paramref name="namespaceName"/> (`ip netns exec` execs it, so the process id is the host's).</summary>
    public static HostProcess StartInNetworkNamespace(string namespaceName, params string[] args) =>
        new("/usr/sbin/ip", ["netns", "exec", namespaceName, DotnetPath(), HostAssembly(), .. args]);

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
    public void WaitForTcp(int port) => WaitFor(() => _serving && SocketProbe.Accepts(new IPEndPoint(IPAddress.Loopback, port)), $"127.0.0.1:{port}");

    public void WaitForUnix(string path) => WaitFor(() => _serving && File.Exists(path) && SocketProbe.Accepts(new UnixDomainSocketEndPoint(path)), path);

    /// <summary>Sends SIGTERM (or SIGINT) and returns the exit code; fails if the host does not exit in time.</summary>
    public int Stop(bool interrupt = false)
    {
        _process.Signal(interrupt ? PeerProcess.SigInt : PeerProcess.SigTerm);
        return _process.WaitForExit(ExitTimeout);
    }

    /// <summary>Kills the host with SIGKILL, as a crash would end it, and waits until it is gone.</summary>
    public void Kill()
    {
        _process.Signal(PeerProcess.SigKill);
        _process.WaitForExit(ExitTimeout);
    }

    /// <summary>Waits for a host that exits on its own (a refused command line, a QMP quit) and returns the exit code.</summary>
    public int WaitForExit(TimeSpan? timeout = null) => _process.WaitForExit(timeout ?? StartTimeout);

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the host wrote to stdout; only complete after it exited.</summary>
    public string Output => _process.Output;

    public string Error => _process.Error;

    public void Dispose() => _process.Dispose();

    private void WaitFor(Func<bool> ready, string what) => _process.WaitUntil(ready, $"{what} accepted connections", StartTimeout);

    private static string DotnetPath() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}
