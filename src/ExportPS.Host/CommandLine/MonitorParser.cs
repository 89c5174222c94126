using ExportPS.Engine.Qapi;

namespace ExportPS.Host.CommandLine;

/// <summary>--monitor [chardev=]ID[,mode=control][,pretty=off]: a QMP monitor on a chardev defined earlier.</summary>
internal static class MonitorParser
{
    public static string Parse(OptionMap tree)
    {
        var reader = new OptionReader(tree);
        string chardev = reader.RequireString("chardev");
        string mode = reader.String("mode") ?? "control";
        if (mode != "control")
        {
            throw new CommandLineException("Only QMP is supported");
        }

        if (reader.Bool("pretty") == true)
        {
            throw new CommandLineException("pretty=on is not supported: ExportPS writes one message per line");
        }

        reader.RejectUnexpected();
        return chardev;
    }
}
