using System.Globalization;
using ExportPS.Engine.Model;
using Microsoft.Win32.SafeHandles;

namespace ExportPS.Engine.Net.Backends;

/// <summary>
/// Gets the queues of a tap netdev the way its options ask: adopted descriptors (fd=, fds=), the bridge helper's
/// descriptor (helper=, br=), or /dev/net/tun (ifname=, queues=, vnet_hdr=), then script= for the new interface.
/// Whatever was opened is closed again when a later step fails, so a failed netdev_add leaves nothing behind. A bridge
/// netdev is the helper= way with QEMU's defaults for the helper and the bridge.
/// </summary>
internal static class TapOpener
{
    public static Netdev Open(BridgeNetdevOptions options) => Open(new TapNetdevOptions
    {
        Id = options.Id,
        Helper = options.Helper ?? TapNetdevOptions.DefaultHelper,
        Br = options.Br ?? TapNetdevOptions.DefaultBridge,
    }, BridgeNetdevOptions.TypeName);

    public static Netdev Open(TapNetdevOptions options, string type = TapNetdevOptions.TypeName)
    {
        var queues = new List<TapDevice>();
        try
        {
            Action? downScript = null;
            if (options.Fd is { } fd)
            {
                queues.Add(TapDevice.Adopt(Descriptor(fd, "fd")));
            }
            else if (options.Fds is { } fds)
            {
                foreach (string one in fds.Split(':'))
                    queues.Add(TapDevice.Adopt(Descriptor(one, "fds")));
                if (queues.Any(queue => queue.VnetHeaderLength != queues[0].VnetHeaderLength))
                    throw new IOException("vnet_hdr not consistent across given tap fds");
            }
            else if (options.Helper is { } helper)
            {
                queues.Add(TapDevice.Adopt(BridgeHelper.Run(helper, options.Br ?? TapNetdevOptions.DefaultBridge)));
            }
            else
            {
                downScript = CreateQueues(options, queues);
            }

            if (options.SndBuf is { } sndbuf)
            {
                foreach (var queue in queues)
                    queue.SetSendBuffer(sndbuf);
            }

            return new Netdev(options.Id, owner => new TapBackend(type, owner, queues, downScript));
        }
        catch
        {
            foreach (var queue in queues)
                queue.Dispose();
            throw;
        }
    }

    /// <summary>Creates the interface's queues and runs script=; returns the down script to run on removal, if any.</summary>
    private static Action? CreateQueues(TapNetdevOptions options, List<TapDevice> queues)
    {
        int count = (int)(options.Queues ?? 1);
        bool vnetHeader = options.VnetHdr == true;
        queues.Add(TapDevice.Create(options.IfName, vnetHeader, multiQueue: count > 1));
        string name = queues[0].Name;
        for (int i = 1; i < count; i++)
            queues.Add(TapDevice.Create(name, vnetHeader, multiQueue: true));

        if (TapNetdevOptions.ScriptToRun(options.Script) is { } script)
            NetScript.Run(script, name);
        return TapNetdevOptions.ScriptToRun(options.DownScript) is { } downScript ? () => RunDownScript(downScript, name) : null;
    }

    /// <summary>A failing down script cannot stop the removal; the interface goes either way.</summary>
    private static void RunDownScript(string script, string interfaceName)
    {
        try
        {
            NetScript.Run(script, interfaceName);
        }
        catch (IOException)
        {
            // Reported nowhere but by its own output, as QEMU does.
        }
    }

    /// <summary>A descriptor this process has open, given by number (QEMU also takes a monitor fd name; ExportPS has no getfd).</summary>
    private static SafeFileHandle Descriptor(string text, string option) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int fd)
            ? new SafeFileHandle(fd, ownsHandle: true)
            : throw new FormatException($"{option}= expects the number of an open descriptor, not '{text}'");
}
