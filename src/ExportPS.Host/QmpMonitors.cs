using System.Net.Sockets;
using ExportPS.Engine;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qmp;
using ExportPS.Host.CommandLine;
using Microsoft.Extensions.Logging;

namespace ExportPS.Host;

/// <summary>
/// The host's --chardev and --monitor options: each monitor is a QmpServer on its chardev's socket. Unlike QEMU's
/// socket chardev, which talks to one client at a time, each serves any number of clients at once. A vhost-user
/// --netdev takes its chardev's socket path from here (<see cref="ResolveChardev"/>); a chardev serves one user.
/// </summary>
internal sealed class QmpMonitors(IExportEngine engine, ILoggerFactory loggerFactory) : IDisposable
{
    private readonly Dictionary<string, ChardevOptions> _chardevs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, QmpServer> _servers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _netdevChardevs = new(StringComparer.Ordinal);
    private readonly ManualResetEvent _quit = new(false);

    /// <summary>Set when a client executes quit (after its reply went out).</summary>
    public WaitHandle QuitRequested => _quit;

    public IEnumerable<string> SocketPaths => _servers.Values.Select(s => s.SocketPath);

    /// <summary>Handles --chardev and --monitor; false for every other option.</summary>
    public bool TryApply(HostOption option)
    {
        switch (option.Name)
        {
            case "chardev":
                var chardev = ChardevParser.Parse(HostOptionParser.Tree(option.Argument, "backend"));
                if (!_chardevs.TryAdd(chardev.Id, chardev))
                {
                    throw new CommandLineException($"attempt to add duplicate property '{chardev.Id}' to object (type 'container')");
                }

                return true;
            case "monitor":
                Start(MonitorParser.Parse(HostOptionParser.Tree(option.Argument, "chardev")));
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// A vhost-user netdev names its socket by chardev: the chardev's path goes into the options (x-socket-path), and the
    /// chardev is in use from then on. Other netdevs, and one that already has a path, pass unchanged.
    /// </summary>
    public HostStep ResolveChardev(HostStep step)
    {
        if (step is not AddNetdevStep { Options: VhostUserNetdevOptions { SocketPath: null } vhostUser })
        {
            return step;
        }

        var chardev = Claim(vhostUser.Chardev);
        _netdevChardevs.Add(chardev.Id);
        return new AddNetdevStep(vhostUser with { SocketPath = chardev.Path });
    }

    private ChardevOptions Claim(string chardevId)
    {
        if (!_chardevs.TryGetValue(chardevId, out var chardev))
        {
            throw new CommandLineException($"chardev \"{chardevId}\" not found");
        }

        if (_servers.ContainsKey(chardevId) || _netdevChardevs.Contains(chardevId))
        {
            throw new CommandLineException($"Device '{chardevId}' is in use");
        }

        return chardev;
    }

    private void Start(string chardevId)
    {
        var chardev = Claim(chardevId);

        QmpServer server;
        try
        {
            server = QmpServer.Start(engine, chardev.Path, loggerFactory: loggerFactory);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            throw new CommandLineException($"Failed to bind socket to {chardev.Path}: {e.Message}");
        }

        server.QuitRequested += (_, _) => _quit.Set();
        _servers.Add(chardevId, server);
    }

    public void Dispose()
    {
        foreach (var server in _servers.Values)
        {
            server.Dispose();
        }

        _quit.Dispose();
    }
}
