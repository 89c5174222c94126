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
}
