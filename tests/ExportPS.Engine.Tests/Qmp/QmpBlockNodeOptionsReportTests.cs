using System.Text.Json;
using ExportPS.Engine.Qmp;
using Xunit;

namespace ExportPS.Engine.Tests.Qmp;

/// <summary>
/// The node options QEMU reports in query-named-block-nodes (ro, detect_zeroes, cache) read the same from
/// qemu-storage-daemon and from ExportPS for nodes added with the same blockdev-add arguments.
/// </summary>
public sealed class QmpBlockNodeOptionsReportTests : IDisposable
{
    private static readonly string[] Nodes =
    [
        """{"driver":"null-co","node-name":"plain","size":4096}""",
        """{"driver":"null-co","node-name":"zeroes","size":4096,"discard":"unmap","detect-zeroes":"unmap","cache":{"no-flush":true}}""",
        """{"driver":"null-co","node-name":"shared","size":4096,"detect-zeroes":"on","read-only":true,"force-share":true}""",
        """{"driver":"file","node-name":"img","filename":"{DIR}/disk.img","cache":{"direct":true}}""",
        """{"driver":"raw","node-name":"fmt","file":"img","cache":{"no-flush":true},"detect-zeroes":"on"}""",
    ];

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Ro_detect_zeroes_and_cache_are_reported_as_qemu_storage_daemon_reports_them()
    {
        File.WriteAllBytes(_dir.File("disk.img"), new byte[1 << 20]);
        Dictionary<string, string> qemu;
        using (var qsd = new QsdProcess(_dir.Path))
        {
            qemu = AddAndReport(qsd.SocketPath);
        }

        Dictionary<string, string> ours;
        using (var engine = new ExportEngine())
        using (var server = QmpServer.Start(engine, _dir.File("eps.qmp")))
        {
            ours = AddAndReport(server.SocketPath);
        }

        Assert.Equal(5, qemu.Count);
        Assert.Contains("detect_zeroes=unmap", qemu["zeroes"], StringComparison.Ordinal);
        foreach (var (name, reported) in qemu)
        {
            Assert.Equal($"{name}: {reported}", $"{name}: {ours.GetValueOrDefault(name)}");
        }
    }

    /// <summary>Adds <see cref="Nodes"/>, then returns each node's ro, detect_zeroes and cache members as text.</summary>
    private Dictionary<string, string> AddAndReport(string socketPath)
    {
        using var client = RawQmpConnection.OpenNegotiated(socketPath);
        foreach (string node in Nodes)
        {
            var reply = client.Execute($$"""{"execute":"blockdev-add","arguments":{{node.Replace("{DIR}", _dir.Path, StringComparison.Ordinal)}}}""");
            Assert.True(reply.TryGetProperty("return", out _), reply.ToString());
        }

        var nodes = client.Execute("""{"execute":"query-named-block-nodes"}""").GetProperty("return");
        return nodes.EnumerateArray().ToDictionary(
            n => n.GetProperty("node-name").GetString()!,
            n => $"ro={Text(n, "ro")} detect_zeroes={Text(n, "detect_zeroes")} cache.writeback={Text(n, "cache", "writeback")} "
                + $"cache.direct={Text(n, "cache", "direct")} cache.no-flush={Text(n, "cache", "no-flush")}");
    }

    private static string Text(JsonElement node, params string[] path) =>
        path.Aggregate(node, (element, member) => element.GetProperty(member)).ToString();
}
