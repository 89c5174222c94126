namespace ExportPS.Engine.Tests.Net;

/// <summary>tshark (Debian's package) reading a pcap file: one row per frame, one column per field asked for.</summary>
internal static class Tshark
{
    private const string Path = "/usr/bin/tshark";

    /// <param name="home">A private directory for tshark's profile (it writes one under $HOME).</param>
    public static string[][] Fields(string pcap, string home, params string[] fields)
    {
        var arguments = new List<string> { "-r", pcap, "-T", "fields", "-E", "separator=," };
        foreach (string field in fields)
            arguments.AddRange(["-e", field]);
        var result = PeerProcess.Run(Path, arguments, TimeSpan.FromSeconds(60), environment: new Dictionary<string, string> { ["HOME"] = home })
            .Check("tshark -r");
        return [.. result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(','))];
    }
}
