using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Xunit;

namespace ExportPS.TestSupport;

/// <summary>
/// Runs an external program (a peer such as nbdinfo, qemu-img or qemu-storage-daemon, or the host executable) with a
/// time limit. A process that overruns, and every background process on Dispose, is killed by its id; failures carry
/// the process's stderr.
/// </summary>
internal static partial class PeerProcess
{
    public const int SigInt = 2;
    public const int SigKill = 9;
    public const int SigTerm = 15;
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        /// <summary>Fails the test with stderr and stdout unless the exit code is 0.</summary>
        public Result Check(string what)
        {
            Assert.True(ExitCode == 0, $"{what} failed with exit code {ExitCode}:\n{Stderr}\n{Stdout}");
            return this;
        }
    }

    /// <summary>Fails the test, naming the Debian package, unless the peer binary exists.</summary>
    public static string Require(string path) => Peer.Require(path);

    /// <summary>Runs <paramref name="file"/> to completion; a run longer than <paramref name="timeout"/> (60 s) is killed and fails.</summary>
    public static Result Run(string file, IEnumerable<string> arguments, TimeSpan? timeout = null, string? stdin = null,
        IDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        string[] args = [.. arguments];
        var limit = timeout ?? DefaultTimeout;
        using var process = Process.Start(StartInfo(file, args, environment, workingDirectory, stdin is not null))
            ?? throw new InvalidOperationException($"{file} did not start");
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (stdin is not null)
            {
                process.StandardInput.Write(stdin);
                process.StandardInput.Close();
            }

            if (!process.WaitForExit(limit))
            {
                throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {limit}");
            }

            process.WaitForExit();
            return new Result(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
        }
        finally
        {
            KillIfRunning(process);
        }
    }

    private static ProcessStartInfo StartInfo(string file, IEnumerable<string> arguments, IDictionary<string, string>? environment,
        string? workingDirectory, bool redirectStdin)
    {
        // Peers are named by absolute path; a bare name (dotnet) is looked up on PATH by Process.Start.
        if (System.IO.Path.IsPathRooted(file))
        {
            Peer.Require(file);
        }

        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectStdin,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                start.Environment[key] = value;
            }
        }

        return start;
    }

    private static void KillIfRunning(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>A long-running process (qemu-nbd, qemu-storage-daemon, the host) that collects its output and is killed by its id on Dispose.</summary>
    public sealed class Background : IDisposable
    {
        private static readonly TimeSpan StreamCloseTimeout = TimeSpan.FromSeconds(15);
        private readonly Process _process;
        private readonly StringBuilder _stdout = new();
        private readonly StringBuilder _stderr = new();
        private readonly ManualResetEventSlim _stdoutClosed = new();
        private readonly ManualResetEventSlim _stderrClosed = new();
        private bool _disposed;

        /// <param name="onOutputLine">Called with each stdout line as it arrives (on a pool thread).</param>
        /// <param name="holdStdinOpen">Give the process a stdin pipe that stays open, never written (vde_switch exits at end of file on its console).</param>
        public Background(string file, IEnumerable<string> arguments, Action<string>? onOutputLine = null, IDictionary<string, string>? environment = null,
            bool holdStdinOpen = false)
        {
            _process = Process.Start(StartInfo(file, arguments, environment, workingDirectory: null, redirectStdin: holdStdinOpen))
                ?? throw new InvalidOperationException($"{file} did not start");
            _process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    _stdoutClosed.Set();
                    return;
                }

                lock (_stdout)
                {
                    _stdout.Append(e.Data).Append('\n');
                }

                onOutputLine?.Invoke(e.Data);
            };
            _process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    _stderrClosed.Set();
                    return;
                }

                lock (_stderr)
                {
                    _stderr.Append(e.Data).Append('\n');
                }
            };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public int Id => _process.Id;

        public string Name => System.IO.Path.GetFileName(_process.StartInfo.FileName);

        public bool HasExited => _process.HasExited;

        /// <summary>Everything written to stdout; complete once the process exited.</summary>
        public string Output => Collected(_stdout, _stdoutClosed, "stdout");

        /// <summary>Everything written to stderr; complete once the process exited.</summary>
        public string Error => Collected(_stderr, _stderrClosed, "stderr");

        /// <summary>Waits until <paramref name="ready"/> holds; fails early, with stderr, if the process exits first.</summary>
        public void WaitUntil(Func<bool> ready, string what, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (!ready())
            {
                if (_process.HasExited)
                {
                    Assert.Fail($"{Name} exited with {_process.ExitCode} before {what}: {Error}");
                }

                Assert.True(DateTime.UtcNow < deadline, $"{what} did not happen within {timeout}");
                Thread.Sleep(20);
            }
        }

        /// <summary>Waits until <paramref name="path"/> exists (a unix socket the peer listens on).</summary>
        public void WaitForFile(string path) => WaitUntil(() => File.Exists(path), $"{path} appeared", TimeSpan.FromSeconds(15));

        /// <summary>
        /// Waits until the peer listens on the unix socket <paramref name="path"/>: a peer binds before it listens, so the
        /// file alone may still refuse. Read from the kernel, without connecting (see <see cref="SocketProbe.Listens"/>).
        /// </summary>
        public void WaitForListener(string path) =>
            WaitUntil(() => SocketProbe.Listens(path), $"{path} listening", TimeSpan.FromSeconds(15));

        /// <summary>Waits for the process to exit on its own and returns its exit code; fails if it runs past <paramref name="timeout"/>.</summary>
        public int WaitForExit(TimeSpan timeout)
        {
            Assert.True(_process.WaitForExit(timeout), $"{Name} did not exit within {timeout}");
            _process.WaitForExit();
            return _process.ExitCode;
        }

        /// <summary>Sends <paramref name="signal"/> (SIGTERM, SIGINT) to the process by its id.</summary>
        public void Signal(int signal) => Assert.Equal(0, Kill(_process.Id, signal));

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            try
            {
                KillIfRunning(_process);
            }
            finally
            {
                // The close events are not disposed: the output callbacks may still set them after the process is gone.
                _process.Dispose();
            }
        }

        private static string Collected(StringBuilder text, ManualResetEventSlim closed, string stream)
        {
            if (!closed.Wait(StreamCloseTimeout))
            {
                throw new TimeoutException($"{stream} did not close");
            }

            lock (text)
            {
                return text.ToString();
            }
        }
    }
}
