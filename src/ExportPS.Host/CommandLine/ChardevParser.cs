using ExportPS.Engine.Qapi;

namespace ExportPS.Host.CommandLine;

/// <summary>A --chardev the host can serve a monitor on: a listening unix socket.</summary>
internal sealed record ChardevOptions(string Id, string Path);

/// <summary>
/// --chardev socket,id=ID,path=PATH,server=on,wait=off (qemu-storage-daemon's form). ExportPS chardevs only listen on
/// unix sockets and never wait for a first client, so server=off and wait=on are refused.
/// </summary>
internal static class ChardevParser
{
    public static ChardevOptions Parse(OptionMap tree)
    {
        var reader = new OptionReader(tree);
        string backend = reader.RequireString("backend");
        if (backend != "socket")
        {
            throw new CommandLineException($"chardev backend '{backend}' is not supported: ExportPS serves monitors on 'socket' chardevs");
        }

        string id = reader.String("id") ?? throw new CommandLineException("chardev: no id specified");
        string path = reader.String("path")
            ?? throw new CommandLineException("chardev: ExportPS serves monitors on unix sockets only: give path=<socket path>");
        if (reader.Bool("server") != true)
        {
            throw new CommandLineException("chardev: ExportPS only listens: give server=on");
        }

        if (reader.Bool("wait") == true)
        {
            throw new CommandLineException("chardev: ExportPS never waits for a first client: give wait=off");
        }

        reader.RejectUnexpected();
        return new ChardevOptions(id, path);
    }
}
