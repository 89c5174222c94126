using System.Diagnostics;
using System.Management.Automation;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Qmp;

namespace ExportPS.Commands;

/// <summary>
/// Launches an exportps-host process with a QMP monitor on a unix socket, detached from this session, waits until it
/// answers, and returns its connected handle. The host outlives the session; Stop-ExportEngine ends it.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "ExportEngine", SupportsShouldProcess = true)]
[OutputType(typeof(ExportEngineHandle))]
public sealed class StartExportEngineCommand : PSCmdlet, IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(2);
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>The QMP socket to create; a new private directory under the temp folder when omitted.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>More host options, as qemu-storage-daemon takes them (--blockdev, --nbd-server, --export, --object).</summary>
    [Parameter]
    [ValidateNotNull]
    public string[] ArgumentList { get; set; } = [];

    /// <summary>Seconds to wait for the host to answer on its socket.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int Timeout { get; set; } = 30;

    protected override void ProcessRecord()
    {
        string socket = Path is null ? DefaultSocketPath() : GetUnresolvedProviderPathFromPSPath(Path);
        if (!ShouldProcess(socket, "Start an ExportPS host engine"))
        {
            return;
        }

        try
        {
            if (Path is null)
            {
                CreatePrivateDirectory(System.IO.Path.GetDirectoryName(socket)!);
            }

            RefuseLiveSocket(socket);
            string log = socket + ".log";
            var process = HostLauncher.Start(socket, ArgumentList, log);
            WriteVerbose($"Started {HostLauncher.HostAssembly()} as process {process.Id}; its output goes to {log}");
            WriteObject(WaitUntilServing(socket, process, log));
        }
        catch (EngineException e)
        {
            ThrowTerminatingError(EngineCommand.ToErrorRecord(this, e, socket));
        }
    }

    /// <summary>The host replaces a socket file it finds (as QEMU does): one that still answers belongs to a running engine.</summary>
    private static void RefuseLiveSocket(string socket)
    {
        if (!File.Exists(socket))
        {
            return;
        }

        try
        {
            QmpClient.Connect(socket, AttemptTimeout).Dispose();
        }
        catch (EngineException)
        {
            return;
        }

        throw new EngineException(ErrorIds.HostStartFailed, EngineErrorCategory.AlreadyExists,
            $"An engine already serves QMP on '{socket}': use Connect-ExportEngine, or another -Path") { Target = socket };
    }

    private ExportEngineHandle WaitUntilServing(string socket, Process process, string log)
    {
        var progress = new ProgressRecord(3, "Start-ExportEngine", $"Waiting for the host (process {process.Id}) to serve QMP on {socket}");
        var timeout = TimeSpan.FromSeconds(Timeout);
        var watch = Stopwatch.StartNew();
        try
        {
            while (true)
            {
                if (process.HasExited)
                {
                    throw new EngineException(ErrorIds.HostStartFailed, EngineErrorCategory.InvalidState,
                        $"The host exited with code {process.ExitCode} before serving: {HostLauncher.LogTail(log)}") { Target = socket };
                }

                if (File.Exists(socket))
                {
                    try
                    {
                        return ExportEngineHandle.Connect(socket, TimeSpan.FromSeconds(Timeout), ExportEngineKind.Host, process, log);
                    }
                    catch (EngineException e) when (e.ErrorId == ErrorIds.QmpConnectionFailed && watch.Elapsed < timeout)
                    {
                        // Bound but not yet accepting: try again.
                    }
                }

                if (watch.Elapsed >= timeout)
                {
                    HostLauncher.Kill(process);
                    throw new EngineException(ErrorIds.WaitTimedOut, EngineErrorCategory.Timeout,
                        $"The host did not serve QMP on '{socket}' within {Timeout} s and was stopped: {HostLauncher.LogTail(log)}") { Target = socket };
                }

                progress.SecondsRemaining = (int)Math.Max(0, (timeout - watch.Elapsed).TotalSeconds);
                WriteProgress(progress);
                if (_stopping.Token.WaitHandle.WaitOne(PollInterval))
                {
                    HostLauncher.Kill(process);
                    throw new PipelineStoppedException();
                }
            }
        }
        finally
        {
            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
        }
    }

    /// <summary>A socket in a fresh directory (created once approved), so no other user can take or watch it.</summary>
    private static string DefaultSocketPath() =>
        System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"exportps-{Guid.NewGuid():N}"[..17], "qmp.sock");

    private static void CreatePrivateDirectory(string dir)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(dir);
        }
        else
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    protected override void StopProcessing() => _stopping.Cancel();

    public void Dispose() => _stopping.Dispose();
}
