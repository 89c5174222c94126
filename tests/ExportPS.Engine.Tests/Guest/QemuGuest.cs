using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace ExportPS.Engine.Tests.Guest;

/// <summary>
/// A booted test guest: qemu-system-x86_64 under TCG (this machine's /dev/kvm cannot run a stock kernel) with guest RAM
/// in a shared memfd (vhost-user back-ends map it), the devices a test asks for, and a control line on the guest's
/// second serial port. One guest serves many commands, so a fixture boots it once (about 6 s) for all its tests.
/// QEMU is killed by its process id on dispose.
/// </summary>
internal sealed class QemuGuest : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Socket _control;
    private readonly StreamReader _reader;
    private readonly string _consoleLog;
    private readonly SemaphoreSlim _commandLock = new(1, 1);
    private int _nextCommand;

    private QemuGuest(Process process, Socket control, string consoleLog)
    {
        _process = process;
        _control = control;
        _consoleLog = consoleLog;
        _reader = new StreamReader(new NetworkStream(control, ownsSocket: false), Encoding.ASCII);
    }

    /// <summary>The kernel's console so far, for failure messages.</summary>
    public string Console => File.Exists(_consoleLog) ? File.ReadAllText(_consoleLog) : "";

    public int ProcessId => _process.Id;

    /// <summary>
    /// Boots a guest with <paramref name="deviceArguments"/> (QEMU options such as -chardev/-device pairs) and waits until
    /// its control line answers. <paramref name="directory"/> holds the control socket and the console log.
    /// </summary>
    public static async Task<QemuGuest> BootAsync(string directory, IEnumerable<string> deviceArguments, int memoryMiB = 256, int cpus = 1, TimeSpan? timeout = null)
    {
        Peer.Require(Peer.QemuSystem);
        GuestImage image = await GuestImage.GetAsync();
        string controlPath = Path.Combine(directory, "guest-control.sock");
        string consoleLog = Path.Combine(directory, "guest-console.log");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(controlPath));
        listener.Listen(1);

        var start = new ProcessStartInfo(Peer.QemuSystem) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in BaseArguments(image, memoryMiB, cpus, controlPath, consoleLog).Concat(deviceArguments))
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("qemu-system-x86_64 did not start");
        var qemuOutput = new StringBuilder();
        process.OutputDataReceived += (_, line) => Append(qemuOutput, line.Data);
        process.ErrorDataReceived += (_, line) => Append(qemuOutput, line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(90));
        Socket? control = null;
        try
        {
            Task<Socket> accept = listener.AcceptAsync(deadline.Token).AsTask();
            Task exited = process.WaitForExitAsync(deadline.Token);
            if (await Task.WhenAny(accept, exited) != accept)
            {
                throw new InvalidOperationException($"QEMU exited ({Describe(process)}) before connecting its control line: {qemuOutput}");
            }

            control = await accept;
            var guest = new QemuGuest(process, control, consoleLog);
            await guest.WaitForReadyAsync(deadline.Token, qemuOutput);
            return guest;
        }
        catch (Exception exception) when (exception is not InvalidOperationException)
        {
            control?.Dispose();
            Kill(process);
            throw new TimeoutException($"the guest did not come up: {exception.Message}\nQEMU: {qemuOutput}\nconsole:\n{Tail(consoleLog)}", exception);
        }
        catch
        {
            control?.Dispose();
            Kill(process);
            throw;
        }
    }

    /// <summary>Runs a shell script in the guest (busybox sh) and returns its exit code and output (stdout and stderr).</summary>
    public async Task<GuestResult> RunAsync(string script, TimeSpan? timeout = null)
    {
        await _commandLock.WaitAsync();
        try
        {
            int id = ++_nextCommand;
            byte[] line = Encoding.ASCII.GetBytes($"{id} {Convert.ToBase64String(Encoding.UTF8.GetBytes(script))}\n");
            await _control.SendAsync(line, SocketFlags.None);

            using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
            try
            {
                return await ReadAnswerAsync(id, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"the guest did not answer within {timeout ?? TimeSpan.FromSeconds(60)}: {script}\nconsole:\n{Tail(_consoleLog)}");
            }
        }
        finally
        {
            _commandLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _control.Dispose();
        Kill(_process);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _commandLock.Dispose();
    }

    private static IEnumerable<string> BaseArguments(GuestImage image, int memoryMiB, int cpus, string controlPath, string consoleLog) =>
    [
        "-accel", "tcg", "-m", $"{memoryMiB}M", "-smp", cpus.ToString(),
        "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
        "-object", $"memory-backend-memfd,id=mem,size={memoryMiB}M,share=on", "-numa", "node,memdev=mem",
        "-kernel", image.Kernel, "-initrd", image.Initramfs,
        "-append", "console=ttyS0 panic=-1 loglevel=4 no_timer_check",
        "-serial", $"file:{consoleLog}",
        "-chardev", $"socket,id=control,path={controlPath},server=off",
        "-serial", "chardev:control",
    ];

    private async Task WaitForReadyAsync(CancellationToken cancellationToken, StringBuilder qemuOutput)
    {
        while (await _reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line == "@@READY")
            {
                return;
            }
        }

        throw new InvalidOperationException($"the guest closed its control line before it was ready: {qemuOutput}\nconsole:\n{Tail(_consoleLog)}");
    }

    private async Task<GuestResult> ReadAnswerAsync(int id, CancellationToken cancellationToken)
    {
        string begin = $"@@BEGIN {id}";
        string end = $"@@END {id} ";
        var output = new StringBuilder();
        bool inside = false;
        while (await _reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line == begin)
            {
                inside = true;
            }
            else if (inside && line.StartsWith(end, StringComparison.Ordinal))
            {
                string text = Encoding.UTF8.GetString(Convert.FromBase64String(output.ToString()));
                return new GuestResult(int.Parse(line[end.Length..]), text);
            }
            else if (inside)
            {
                output.Append(line);
            }
        }

        throw new InvalidOperationException($"the guest closed its control line (QEMU {Describe(_process)})\nconsole:\n{Tail(_consoleLog)}");
    }

    private static void Append(StringBuilder text, string? line)
    {
        if (line is not null)
        {
            lock (text)
            {
                text.AppendLine(line);
            }
        }
    }

    private static string Describe(Process process) => process.HasExited ? $"exit code {process.ExitCode}" : "still running";

    private static string Tail(string path) =>
        File.Exists(path) ? string.Join('\n', File.ReadLines(path).TakeLast(30)) : "(no console output)";

    private static void Kill(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }
    }
}
