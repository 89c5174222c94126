using System.Diagnostics;
using ExportPS.Engine.Errors;

namespace ExportPS;

/// <summary>
/// Launches exportps-host (staged in the module's bin/host folder) detached from this session, with a QMP monitor on
/// a unix socket, the way qemu-storage-daemon is started.
/// </summary>
internal static class HostLauncher
{
    private static readonly string[] SetsidPaths = ["/usr/bin/setsid", "/bin/setsid"];

    /// <summary>bin/host/exportps-host.dll next to the module assembly.</summary>
    public static string HostAssembly()
    {
        string moduleDir = System.IO.Path.GetDirectoryName(typeof(HostLauncher).Assembly.Location)!;
        string path = System.IO.Path.Combine(moduleDir, "bin", "host", "exportps-host.dll");
        return File.Exists(path)
            ? path
            : throw new EngineException(ErrorIds.HostStartFailed, EngineErrorCategory.NotFound,
                $"The host executable is missing: {path} (rebuild the module)") { Target = path };
    }

    /// <summary>
    /// The dotnet muxer: the process running PowerShell when it is dotnet (pwsh as a global tool), else $DOTNET_ROOT's,
    /// else the first on PATH. An installed pwsh is a self-contained apphost, which cannot run another application.
    /// </summary>
    public static string Dotnet()
    {
        string name = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        if (Environment.ProcessPath is { } self && System.IO.Path.GetFileName(self) == name)
        {
            return self;
        }

        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root)
        {
            candidates.Add(System.IO.Path.Combine(root, name));
        }

        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            candidates.Add(System.IO.Path.Combine(dir, name));
        }

        return candidates.FirstOrDefault(File.Exists)
            ?? throw new EngineException(ErrorIds.HostStartFailed, EngineErrorCategory.NotFound,
                "The .NET runtime (dotnet) that runs exportps-host was not found: neither this process, $DOTNET_ROOT nor PATH has it");
    }

    /// <summary>
    /// Starts the host with its output appended to <paramref name="logPath"/> and no terminal: in a session of its own
    /// (setsid, which execs in place, so the process id stays the host's) so Ctrl+C and a closing terminal leave it running.
    /// </summary>
    public static Process Start(string socketPath, IEnumerable<string> extraArguments, string logPath)
    {
        string dotnet = Dotnet();
        string host = HostAssembly();
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };

        // sh redirects and execs, so the process started here becomes the host itself; the paths travel as arguments.
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("log=$1; shift; exec \"$@\" </dev/null >>\"$log\" 2>&1");
        start.ArgumentList.Add("exportps-host");
        start.ArgumentList.Add(logPath);
        if (SetsidPaths.FirstOrDefault(File.Exists) is { } setsid)
        {
            start.ArgumentList.Add(setsid);
        }

        start.ArgumentList.Add(dotnet);
        start.ArgumentList.Add(host);
        start.ArgumentList.Add("--chardev");
        // QEMU option syntax: a comma inside a value is doubled.
        start.ArgumentList.Add($"socket,id=m0,path={socketPath.Replace(",", ",,", StringComparison.Ordinal)},server=on,wait=off");
        start.ArgumentList.Add("--monitor");
        start.ArgumentList.Add("chardev=m0");
        foreach (string argument in extraArguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            return Process.Start(start) ?? throw new InvalidOperationException("no process was started");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new EngineException(ErrorIds.HostStartFailed, EngineErrorCategory.InvalidState, $"Cannot start {host}: {e.Message}", e) { Target = socketPath };
        }
    }

    /// <summary>The last lines of the host's log, to explain why it stopped.</summary>
    public static string LogTail(string logPath, int lines = 5)
    {
        try
        {
            var tail = File.ReadAllLines(logPath).TakeLast(lines).ToArray();
            return tail.Length == 0 ? "(no output)" : string.Join(" ", tail);
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    /// <summary>Kills a host this session started (by its process, never by name) and waits briefly; one already gone is fine.</summary>
    public static void Kill(Process process)
    {
        try
        {
            process.Kill();
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
