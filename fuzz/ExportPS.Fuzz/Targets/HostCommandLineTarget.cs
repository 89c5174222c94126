using System.Text;
using ExportPS.Engine.Errors;
using ExportPS.Host.CommandLine;

namespace ExportPS.Fuzz.Targets;

/// <summary>
/// exportps-host's command line (qemu-storage-daemon's): the input is the argument vector, one argument a line.
/// <see cref="ArgumentScanner"/> splits it into options; each option's argument goes through the keyval or JSON parser
/// and the reader of its option (--blockdev, --export, --nbd-server, --object, --netdev, --chardev, --monitor), as the
/// host applies them. Refusals are <see cref="CommandLineException"/> and <see cref="EngineException"/>.
/// </summary>
internal static class HostCommandLineTarget
{
    public static void Run(byte[] input)
    {
        // A newline ends an argument, so a file's final newline adds no empty argument.
        string text = Encoding.UTF8.GetString(input);
        string[] args = text.EndsWith('\n') ? text[..^1].Split('\n') : text.Split('\n');
        ScannedCommandLine scanned;
        try
        {
            scanned = ArgumentScanner.Scan(args);
        }
        catch (CommandLineException)
        {
            return;
        }

        foreach (var option in scanned.Options)
        {
            try
            {
                _ = option.Name switch
                {
                    "chardev" => ChardevParser.Parse(HostOptionParser.Tree(option.Argument, "backend")),
                    "monitor" => MonitorParser.Parse(HostOptionParser.Tree(option.Argument, "chardev")),
                    _ => (object)HostOptionParser.Parse(option),
                };
            }
            catch (Exception e) when (e is CommandLineException or EngineException)
            {
            }
        }
    }
}
