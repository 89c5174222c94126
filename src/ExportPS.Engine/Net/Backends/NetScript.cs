using System.Diagnostics;

namespace ExportPS.Engine.Net.Backends;

/// <summary>
/// A tap's script= or downscript=: the program is run (not through a shell, as QEMU execs it) with the interface name
/// as its one argument, and must exit with 0. It is given a bounded time, so a hung script fails the netdev_add rather
/// than holding the engine.
/// </summary>
internal static class NetScript
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs <paramref name="script"/> for <paramref name="interfaceName"/>; throws an IOException when it fails.</summary>
    public static void Run(string script, string interfaceName)
    {
        var start = new ProcessStartInfo(script) { UseShellExecute = false, RedirectStandardInput = true };
        start.ArgumentList.Add(interfaceName);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new IOException($"network script {script} could not be started");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new IOException($"network script {script} could not be started: {e.Message}", e);
        }

        using (process)
        {
            process.StandardInput.Close();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill();
                process.WaitForExit();
                throw new IOException($"network script {script} did not finish within {Timeout.TotalSeconds} s");
            }

            if (process.ExitCode != 0)
                throw new IOException($"network script {script} failed with status {process.ExitCode}");
        }
    }
}
