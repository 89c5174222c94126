using System.Runtime.InteropServices;

namespace ExportPS.Host;

internal static partial class Program
{
    private const int SigInt = 2;
    private static readonly nint DefaultDisposition = 0; // SIG_DFL

    /// <summary>Read by the runtime once, when the process creates its first socket.</summary>
    private const string InlineSocketCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    private static int Main(string[] args)
    {
        // NBD requests continue on the epoll thread that saw the socket ready instead of hopping to the thread pool:
        // one thread switch less per request (qd1 latency, CPU per request). The handlers never block (drivers finish
        // in microseconds, waits are awaits). An explicit setting in the environment wins.
        if (Environment.GetEnvironmentVariable(InlineSocketCompletions) is null)
        {
            Environment.SetEnvironmentVariable(InlineSocketCompletions, "1");
        }

        using var stop = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            // Handled here: the host shuts down on its own terms (graceful NBD stop, engine disposed, exit code 0).
            context.Cancel = true;
            stop.Cancel();
        }

        // A host started in the background by a non-interactive shell (`exportps-host ... &` in a script, CI) inherits
        // SIGINT ignored, and the runtime leaves an ignored signal ignored. QEMU's daemons stop on SIGINT however they
        // were started, and so does this host: the default disposition first, so the registration takes the signal.
        ResetSignal(SigInt, DefaultDisposition);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        return HostRunner.Run(args, Console.Out, Console.Error, stop.Token);
    }

    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial nint ResetSignal(int signal, nint disposition);
}
