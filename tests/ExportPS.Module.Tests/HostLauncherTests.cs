using System.Diagnostics;
using System.Reflection;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Qmp;
using Xunit;

namespace ExportPS.Module.Tests;

/// <summary>
/// Start-ExportEngine's launcher, run from the staged module (out/ExportPS/ExportPS.dll): it starts bin/host's
/// exportps-host detached with a QMP monitor, and the process it returns is the host itself. Its methods touch no
/// PowerShell type, so they run here without PowerShell.
/// </summary>
public sealed class HostLauncherTests(ModuleFiles module) : IClassFixture<ModuleFiles>, IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _dir = new();
    private readonly List<Process> _processes = [];

    private MethodInfo Launcher(string name) =>
        Assembly.LoadFrom(Path.Combine(module.ModuleDir, "ExportPS.dll")).GetType("ExportPS.HostLauncher", throwOnError: true)!
            .GetMethod(name, BindingFlags.Public | BindingFlags.Static)!;

    private Process Start(string socket, string log, params string[] extra)
    {
        try
        {
            var process = (Process)Launcher("Start").Invoke(null, [socket, extra, log])!;
            _processes.Add(process);
            return process;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    private static void WaitForSocket(string socket, Process process, string log)
    {
        var watch = Stopwatch.StartNew();
        // The socket file appears at bind, a moment before the listen: wait until a connection is accepted.
        while (!SocketProbe.Accepts(socket))
        {
            if (process.HasExited)
            {
                Assert.Fail($"the host exited ({process.ExitCode}): {File.ReadAllText(log)}");
            }

            Assert.True(watch.Elapsed < StartTimeout, $"no socket after {StartTimeout.TotalSeconds} s");
            Thread.Sleep(50);
        }
    }

    [Fact]
    public void Started_host_serves_QMP_in_a_session_of_its_own_and_quits()
    {
        string socket = _dir.File("qmp.sock");
        string log = _dir.File("qmp.sock.log");
        var process = Start(socket, log, "--blockdev", "driver=memory,node-name=d0,size=1M");
        WaitForSocket(socket, process, log);

        using (var engine = QmpMonitor.ConnectOnceListening(socket))
        {
            Assert.Equal(["d0"], engine.GetBlockNodes().Select(n => n.NodeName));
        }

        // The process started is the host (sh and setsid exec in place), leading its own session: Ctrl+C in the
        // launching terminal does not reach it.
        Assert.Contains("exportps-host.dll", File.ReadAllText($"/proc/{process.Id}/cmdline"), StringComparison.Ordinal);
        string stat = File.ReadAllText($"/proc/{process.Id}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        Assert.Equal(process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), fields[3]);

        using (var client = QmpClient.Connect(socket, TimeSpan.FromSeconds(10)))
        {
            client.Execute("quit");
        }

        Assert.True(process.WaitForExit(15_000), "the host did not exit after quit");
        Assert.Equal(0, process.ExitCode);
        // Its output went to the log, not to a terminal.
        Assert.Contains("exportps-host: 1 block node(s)", File.ReadAllText(log), StringComparison.Ordinal);
    }

    [Fact]
    public void A_comma_in_the_socket_path_is_escaped_for_the_host()
    {
        string socket = _dir.File("a,b.sock");
        string log = _dir.File("a.log");
        var process = Start(socket, log);
        WaitForSocket(socket, process, log);
        using var client = QmpClient.Connect(socket, TimeSpan.FromSeconds(10));
        client.Execute("quit");
        Assert.True(process.WaitForExit(15_000), "the host did not exit after quit");
    }

    [Fact]
    public void A_host_that_refuses_its_options_leaves_the_reason_in_the_log()
    {
        string log = _dir.File("bad.log");
        var process = Start(_dir.File("bad.sock"), log, "--no-such-option");
        Assert.True(process.WaitForExit(30_000), "the host did not exit");
        Assert.Equal(1, process.ExitCode);
        string tail = (string)Launcher("LogTail").Invoke(null, [log, 5])!;
        Assert.Contains("unrecognized option '--no-such-option'", tail, StringComparison.Ordinal);
    }

    /// <summary>ExportEngineHandle.Connect (what Connect-ExportEngine calls): the handle's display values.</summary>
    private object ConnectHandle(string socket, string kind, Process? process)
    {
        var assembly = Assembly.LoadFrom(Path.Combine(module.ModuleDir, "ExportPS.dll"));
        var handleType = assembly.GetType("ExportPS.ExportEngineHandle", throwOnError: true)!;
        var kindValue = Enum.Parse(assembly.GetType("ExportPS.ExportEngineKind", throwOnError: true)!, kind);
        var connect = handleType.GetMethod("Connect", BindingFlags.NonPublic | BindingFlags.Static)!;
        return connect.Invoke(null, [socket, TimeSpan.FromSeconds(10), kindValue, process, null])!;
    }

    private static T Property<T>(object handle, string name) => (T)handle.GetType().GetProperty(name)!.GetValue(handle)!;

    private static void Disconnect(object handle) =>
        handle.GetType().GetMethod("Disconnect", BindingFlags.NonPublic | BindingFlags.Instance)!.Invoke(handle, null);

    [Fact]
    public void Handle_describes_a_started_host_and_refuses_use_once_disconnected()
    {
        string socket = _dir.File("h.sock");
        string log = _dir.File("h.log");
        var process = Start(socket, log);
        WaitForSocket(socket, process, log);

        var handle = ConnectHandle(socket, "Host", process);
        Assert.Equal("Host", Property<object>(handle, "Kind").ToString());
        Assert.Equal(socket, Property<string>(handle, "Path"));
        Assert.Equal(process.Id, Property<int?>(handle, "ProcessId"));
        Assert.Matches(@"^ExportPS \d+\.\d+\.\d+$", Property<string>(handle, "Server"));
        Assert.Empty(Property<ExportPS.Engine.IExportEngine>(handle, "Engine").GetBlockNodes());

        Disconnect(handle);
        Assert.False(Property<bool>(handle, "Connected"));
        var refused = Assert.Throws<TargetInvocationException>(() => handle.GetType().GetProperty("Engine")!.GetValue(handle));
        Assert.Equal(ErrorIds.EngineDisposed, Assert.IsType<ExportPS.Engine.Errors.EngineException>(refused.InnerException).ErrorId);
    }

    [Fact]
    public void Handle_describes_a_qemu_storage_daemon()
    {
        using var qsd = new QsdProcess(_dir.Path);
        var handle = ConnectHandle(qsd.SocketPath, "Remote", null);
        try
        {
            Assert.Matches(@"^QEMU \d+\.\d+\.\d+", Property<string>(handle, "Server"));
            Assert.Null(Property<int?>(handle, "ProcessId"));
        }
        finally
        {
            Disconnect(handle);
        }
    }

    [Fact]
    public void The_host_is_found_next_to_the_module()
    {
        string path = (string)Launcher("HostAssembly").Invoke(null, null)!;
        Assert.Equal(Path.Combine(module.ModuleDir, "bin", "host", "exportps-host.dll"), path);
        Assert.True(File.Exists((string)Launcher("Dotnet").Invoke(null, null)!));
    }

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit(5000);
            }

            process.Dispose();
        }

        _dir.Dispose();
    }
}
