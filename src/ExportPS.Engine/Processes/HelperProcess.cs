using System.Diagnostics;

namespace ExportPS.Engine.Processes;

/// <summary>
/// The programs ExportPS runs for a worker (a tap's script=, downscript= and bridge helper; fusermount3): started with
/// an IOException when they cannot be, and waited for within a bounded time, so a hung one fails the add rather than
/// holding the engine.
/// </summary>
internal static class HelperProcess
{
    /// <param name="what">How errors name it: "network script /etc/up", "bridge helper ...".</param>
    public static Process Start(ProcessStartInfo start, string what)
    {
        start.UseShellExecute = false;
        try
        {
            return Process.Start(start) ?? throw new IOException($"{what} could not be started");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new IOException($"{what} could not be started: {e.Message}", e);
        }
    }

    /// <summary>Waits for the exit; throws an IOException (after killing it) when it runs too long or exits with other than 0.</summary>
    public static void WaitForSuccess(Process process, string what, TimeSpan timeout)
    {
        if (!process.WaitForExit(timeout))
        {
            process.Kill();
            process.WaitForExit();
            throw new IOException($"{what} did not finish within {timeout.TotalSeconds} s");
        }

        if (process.ExitCode != 0)
            throw new IOException($"{what} failed with status {process.ExitCode}");
    }
}
