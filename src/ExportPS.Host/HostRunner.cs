using ExportPS.Engine;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Logging;
using ExportPS.Host.CommandLine;
using ExportPS.Host.Logging;

namespace ExportPS.Host;

/// <summary>
/// The host's life: scan the command line, run each option against a new engine in order (as qemu-storage-daemon does),
/// serve until asked to stop (a signal or QMP quit), then stop the NBD server gracefully and dispose the engine.
/// </summary>
internal static class HostRunner
{
    /// <summary>How long clients get to finish their requests when the host is stopped.</summary>
    public static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(2);

    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken stop)
    {
        ScannedCommandLine scanned;
        try
        {
            scanned = ArgumentScanner.Scan(args);
        }
        catch (CommandLineException e)
        {
            error.WriteLine($"{UsageText.ProgramName}: {e.Message}");
            return 1;
        }

        switch (scanned.Action)
        {
            case HostAction.Help:
                output.WriteLine(UsageText.Help);
                return 0;
            case HostAction.Version:
                output.WriteLine(UsageText.VersionText);
                return 0;
        }

        var options = scanned.UsesDefaultConfiguration ? DefaultConfiguration.Options : scanned.Options;
        var log = TextWriter.Synchronized(error);
        using var engine = new ExportEngine(new StderrLoggerFactory(scanned.Logging, log));
        using var monitors = new QmpMonitors(engine, engine.LoggerFactory);

        // As QEMU reports a dropped client on stderr: a refused TLS client or a broken one is not silent. One line per
        // client: the nbd_client_error event when the logging options write it, the host's own line otherwise.
        if (!scanned.Logging.Writes(NbdServerLog.Category, NbdServerLog.ClientErrorEvent, NbdServerLog.ClientErrorLevel))
        {
            engine.NbdClientFailed += (_, failure) => log.WriteLine($"{UsageText.ProgramName}: NBD client {failure.Client} dropped: {OneLine(failure.Message)}");
        }

        foreach (var option in options)
        {
            try
            {
                if (monitors.TryApply(option))
                {
                    continue;
                }

                monitors.ResolveChardev(HostOptionParser.Parse(option)).Apply(engine);
            }
            catch (Exception e) when (e is CommandLineException or EngineException)
            {
                error.WriteLine($"{UsageText.ProgramName}: {option}: {OneLine(e.Message)}");
                return 1;
            }
            catch (Exception e)
            {
                // Not a refusal but a failure nobody anticipated: still one line and exit 1, with the type to hunt it down.
                error.WriteLine($"{UsageText.ProgramName}: {option}: {e.GetType().Name}: {OneLine(e.Message)}");
                return 1;
            }
        }

        ServingSummary.Write(output, engine);
        output.Flush();
        using var trim = new IdleMemoryTrim(engine.LoggerFactory);
        WaitHandle.WaitAny([stop.WaitHandle, monitors.QuitRequested]);

        if (engine.GetNbdServer().Running)
        {
            engine.StopNbdServer(ShutdownGrace);
        }

        return 0;
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
