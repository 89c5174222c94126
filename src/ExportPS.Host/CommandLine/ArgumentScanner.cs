using ExportPS.Host.Logging;
using Microsoft.Extensions.Logging;

namespace ExportPS.Host.CommandLine;

/// <summary>
/// The first pass over the command line, like qemu-storage-daemon's getopt pass: finds --help and --version and
/// rejects unknown options and missing arguments before anything is created. Arguments are parsed later, in order;
/// only the logging options (--log-level, --trace) are read here, as they apply from the start.
/// </summary>
internal static class ArgumentScanner
{
    /// <summary>Options that take an argument, in the order the help text lists them.</summary>
    public static readonly IReadOnlyList<string> OptionsWithArgument = ["blockdev", "chardev", "export", "log-level", "monitor", "nbd-server", "netdev", "object", "trace"];

    public static ScannedCommandLine Scan(IReadOnlyList<string> args)
    {
        var options = new List<HostOption>();
        var level = LogSettings.Default.MinimumLevel;
        var tracePatterns = new List<string>();
        bool endOfOptions = false;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            switch (arg)
            {
                case "-h" or "--help":
                    return new ScannedCommandLine(HostAction.Help, []);
                case "-V" or "--version":
                    return new ScannedCommandLine(HostAction.Version, []);
                case "--":
                    if (i + 1 < args.Count)
                    {
                        throw new CommandLineException($"{args[i + 1]}: Unexpected argument");
                    }

                    endOfOptions = true;
                    continue;
            }

            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                int equals = arg.IndexOf('=');
                string name = equals < 0 ? arg[2..] : arg[2..equals];
                if (name is "help" or "version")
                {
                    throw new CommandLineException($"option '--{name}' doesn't allow an argument");
                }

                if (!OptionsWithArgument.Contains(name))
                {
                    throw new CommandLineException($"unrecognized option '{arg}'");
                }

                string value = equals >= 0 ? arg[(equals + 1)..]
                    : i + 1 < args.Count ? args[++i]
                    : throw new CommandLineException($"option '--{name}' requires an argument");
                switch (name)
                {
                    case "log-level":
                        level = LogOptionParser.ParseLevel(value);
                        break;
                    case "trace":
                        tracePatterns.Add(LogOptionParser.ParseTrace(value));
                        break;
                    default:
                        options.Add(new HostOption(name, value));
                        break;
                }
            }
            else if (arg.Length > 1 && arg[0] == '-')
            {
                throw new CommandLineException($"invalid option -- '{arg[1]}'");
            }
            else
            {
                throw new CommandLineException($"{arg}: Unexpected argument");
            }
        }

        return new ScannedCommandLine(HostAction.Run, options)
        {
            Logging = new LogSettings(level, tracePatterns),
            UsesDefaultConfiguration = options.Count == 0 && !endOfOptions,
        };
    }
}
