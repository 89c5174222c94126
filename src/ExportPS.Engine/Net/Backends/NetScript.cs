using System.Diagnostics;
using ExportPS.Engine.Processes;

namespace ExportPS.Engine.Net.Backends;

/// <summary>
/// A tap's script= or downscript=: the program is run (not through a shell, as QEMU execs it) with the interface name
/// as its one argument, and must exit with 0 within <see cref="Timeout"/>.
/// </summary>
internal static class NetScript
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs <paramref name="script"/> for <paramref name="interfaceName"/>; throws an IOException when it fails.</summary>
    public static void Run(string script, string interfaceName)
    {
        string what = $"network script {script}";
        using var process = HelperProcess.Start(new ProcessStartInfo(script) { ArgumentList = { interfaceName }, RedirectStandardInput = true }, what);
        process.StandardInput.Close();
        HelperProcess.WaitForSuccess(process, what, Timeout);
    }
}
