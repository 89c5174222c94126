using System.Globalization;
using ExportPS.Engine;
using ExportPS.Engine.Model;

namespace ExportPS.Host;

/// <summary>The lines the host prints once it is up: what it serves, where, and a command to try each export.</summary>
internal static class ServingSummary
{
    public static void Write(TextWriter output, IExportEngine engine)
    {
        var server = engine.GetNbdServer();
        var nodes = engine.GetBlockNodes().ToDictionary(n => n.NodeName, StringComparer.Ordinal);
        var all = engine.GetBlockExports();
        var exports = all.Where(e => e.Type == BlockExportType.Nbd).ToArray();
        if (!server.Running)
        {
            output.WriteLine($"{UsageText.ProgramName}: {nodes.Count} block node(s), no NBD server; stop with Ctrl+C or SIGTERM");
            WriteVhostUserBlk(output, all, nodes);
            WriteFuse(output, all);
            return;
        }

        output.WriteLine($"{UsageText.ProgramName}: NBD server on {server.Endpoint}, {exports.Length} export(s); stop with Ctrl+C or SIGTERM");
        foreach (var export in exports)
        {
            var node = nodes.GetValueOrDefault(export.NodeName);
            string what = node is null ? string.Empty : $" ({node.Driver.ToString().ToLowerInvariant()}, {FormatSize(node.Size)})";
            output.WriteLine($"  export {NbdName(export)}: node {export.NodeName}{what}, "
                + $"{(export.Writable ? "writable" : "read-only")}, {Uri(server, export)}");
        }

        if (exports.Length > 0)
        {
            string uri = Uri(server, exports[0]);
            output.WriteLine($"Reach it with:  nbdinfo {uri}");
            output.WriteLine($"                qemu-img info {uri}");
        }

        WriteVhostUserBlk(output, all, nodes);
        WriteFuse(output, all);
    }

    /// <summary>One line per vhost-user-blk export: the socket a QEMU guest's vhost-user-blk-pci device connects to.</summary>
    private static void WriteVhostUserBlk(TextWriter output, IEnumerable<BlockExportInfo> exports, Dictionary<string, BlockNodeInfo> nodes)
    {
        foreach (var export in exports.Where(e => e.Details is VhostUserBlkExportDetails))
        {
            var details = (VhostUserBlkExportDetails)export.Details!;
            string size = nodes.TryGetValue(export.NodeName, out var node) ? $", {FormatSize(node.Size)}" : string.Empty;
            output.WriteLine($"  vhost-user-blk export {export.Id}: node {export.NodeName}{size}, "
                + $"{(export.Writable ? "writable" : "read-only")}, {details.NumQueues} queue(s), socket {details.Socket}");
        }
    }

    /// <summary>One line per FUSE export: the file the node is mounted on.</summary>
    private static void WriteFuse(TextWriter output, IEnumerable<BlockExportInfo> exports)
    {
        foreach (var export in exports.Where(e => e.Details is FuseExportDetails))
        {
            var details = (FuseExportDetails)export.Details!;
            output.WriteLine($"  fuse export {export.Id}: node {export.NodeName}, {(export.Writable ? "writable" : "read-only")}"
                + $"{(details.Growable ? ", growable" : string.Empty)}, file {details.MountPoint}");
        }
    }

    private static string NbdName(BlockExportInfo export) => (export.Details as NbdExportDetails)?.Name ?? export.NodeName;

    /// <summary>The export's NBD URI as libnbd and QEMU spell it.</summary>
    public static string Uri(NbdServerInfo server, BlockExportInfo export)
    {
        string name = System.Uri.EscapeDataString(NbdName(export));
        string endpoint = server.Endpoint ?? string.Empty;
        if (endpoint.StartsWith("unix:", StringComparison.Ordinal))
        {
            return $"nbd+unix:///{name}?socket={endpoint["unix:".Length..]}";
        }

        string host = endpoint[..Math.Max(0, endpoint.LastIndexOf(':'))];
        return $"nbd://{host}:{server.Port.ToString(CultureInfo.InvariantCulture)}/{name}";
    }

    public static string FormatSize(long bytes)
    {
        string[] units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        int unit = 0;
        double value = bytes;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes} bytes" : value.ToString(value % 1 == 0 ? "0" : "0.##", CultureInfo.InvariantCulture) + " " + units[unit];
    }
}
