using ExportPS.Host.Logging;
using Microsoft.Extensions.Logging;

namespace ExportPS.Host.CommandLine;

/// <summary>
/// --log-level LEVEL and --trace [enable=]PATTERN (QEMU's spelling; events= and file= are not supported: patterns are
/// given one per --trace, and lines go to stderr).
/// </summary>
internal static class LogOptionParser
{
    public static LogLevel ParseLevel(string argument) =>
        LogSettings.Levels.TryGetValue(argument, out var level)
            ? level
            : throw new CommandLineException($"--log-level {argument}: expected one of {string.Join(", ", LogSettings.Levels.Keys)}");

    public static string ParseTrace(string argument)
    {
        string pattern = argument.StartsWith("enable=", StringComparison.Ordinal) ? argument["enable=".Length..] : argument;
        if (pattern.Length == 0 || pattern.Contains(',', StringComparison.Ordinal) || pattern.Contains('=', StringComparison.Ordinal))
        {
            throw new CommandLineException($"--trace {argument}: expected [enable=]PATTERN (events= and file= are not supported)");
        }

        return pattern;
    }
}
