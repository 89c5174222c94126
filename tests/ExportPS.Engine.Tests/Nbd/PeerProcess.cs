using Xunit;

using System.Diagnostics;

namespace ExportPS.Engine.Tests.Nbd;

/// <summary>Runs a peer binary (nbdinfo, qemu-img, fio, python3...) with a time limit; a process that overruns is killed by its id.</summary>
internal static class PeerProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public Result Check(string what)
        {
            Assert.True(ExitCode == 0, $"{what} failed with exit code {ExitCode}:\n{Stderr}\n{Stdout}");
            return this;
        }
    }

    public static string Require(string path)
    {
        Assert.True(File.Exists(path), $"peer binary {path} is missing: install it (see the test script's package list)");
        return path;
    }

    public static Result Run(string file, IEnumerable<string> arguments, TimeSpan? timeout = null, string? stdin = null, IDictionary<string, string>? environment = null)
    {
        Require(file);
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
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

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (stdin is not null)
            {
                process.StandardInput.Write(stdin);
                process.StandardInput.Close();
            }

            if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
            {
                throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within {timeout ?? TimeSpan.FromSeconds(60)}");
            }

            process.WaitForExit();
            return new Result(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
    }

    /// <summary>A long-running peer (qemu-nbd) killed by its id on Dispose.</summary>
    public sealed class Background : IDisposable
    {
        private readonly Process _process;

        public Background(string file, IEnumerable<string> arguments)
        {
            Require(file);
            var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            _process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
            _process.OutputDataReceived += (_, _) => { };
            _process.ErrorDataReceived += (_, _) => { };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        /// <summary>Waits until <paramref name="path"/> exists (a unix socket the peer listens on).</summary>
        public void WaitForFile(string path)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
            while (!File.Exists(path))
            {
                Assert.False(_process.HasExited, $"{_process.StartInfo.FileName} exited with {(_process.HasExited ? _process.ExitCode : 0)}");
                Assert.True(DateTime.UtcNow < deadline, $"{path} did not appear");
                Thread.Sleep(20);
            }
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }

            _process.Dispose();
        }
    }
}
