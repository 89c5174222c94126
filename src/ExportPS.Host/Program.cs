using System.Runtime.InteropServices;

namespace ExportPS.Host;

internal static class Program
{
    private static int Main(string[] args)
    {
        using var stop = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            // Handled here: the host shuts down on its own terms (graceful NBD stop, engine disposed, exit code 0).
            context.Cancel = true;
            stop.Cancel();
        }

        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        return HostRunner.Run(args, Console.Out, Console.Error, stop.Token);
    }
}
