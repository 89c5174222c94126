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
        var exports = engine.GetBlockExports().Where(e => e.Type == BlockExportType.Nbd).ToArray();
        if (!server.Running)
        {
            output.WriteLine($"{UsageText.ProgramName}: {nodes.Count} block node(s), no NBD server; stop with Ctrl+C or SIGTERM");
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
