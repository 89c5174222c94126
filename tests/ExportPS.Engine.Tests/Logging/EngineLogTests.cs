using ExportPS.Engine.Model;
using ExportPS.Engine.Qmp;
using Microsoft.Extensions.Logging;
using Xunit;

namespace ExportPS.Engine.Tests.Logging;

/// <summary>The lifecycle events of exports, netdevs and QMP monitors, logged through the factory the engine was made with.</summary>
public sealed class EngineLogTests
{
    [Fact]
    public void An_export_is_logged_when_added_shutting_down_and_deleted()
    {
        var log = new CapturingLoggerFactory();
        using var engine = new ExportEngine(log);
        using var directory = new TempDirectory();
        engine.StartNbdServer(new NbdServerOptions { Address = SocketAddressOptions.Unix(directory.File("nbd.sock")) });
        engine.AddBlockNode(new BlockNodeOptions { NodeName = "n", Driver = BlockDriverKind.Null, Size = 1 << 20 });
        engine.AddBlockExport(new BlockExportOptions { Id = "e", NodeName = "n", Type = BlockExportType.Nbd, Nbd = new NbdExportOptions() });
        engine.RemoveBlockExport("e", BlockExportRemoveMode.Hard);

        Assert.Equal(
            [
                ("export_added", "Block export 'e' added (Nbd on node 'n', writable: False)"),
                ("export_shutting_down", "Block export 'e' is shutting down (Hard removal, 0 clients)"),
                ("export_deleted", "Block export 'e' deleted"),
            ],
            log.Events.Where(e => e.Category == "ExportPS.Exports").Select(e => (e.EventName, e.Message)));
    }

    [Fact]
    public void A_netdev_is_logged_when_added_its_link_changes_and_removed()
    {
        var log = new CapturingLoggerFactory();
        using var engine = new ExportEngine(log);
        engine.AddNetdev(new HubportNetdevOptions { Id = "p0", HubId = 0 });
        engine.SetLink("p0", false);
        engine.RemoveNetdev("p0");

        Assert.Equal(
            [("netdev_added", "Netdev 'p0' added (hubport)"), ("netdev_link_changed", "Netdev 'p0' link down"), ("netdev_removed", "Netdev 'p0' removed")],
            log.Events.Where(e => e.Category == "ExportPS.Net").Select(e => (e.EventName, e.Message)));
    }

    [Fact]
    public void Qmp_commands_are_logged_by_name_and_id_without_their_arguments_and_errors_with_their_answer()
    {
        var log = new CapturingLoggerFactory();
        using var engine = new ExportEngine(log);
        using var directory = new TempDirectory();
        using var server = QmpServer.Start(engine, directory.File("qmp.sock"), loggerFactory: log);
        using (var qmp = RawQmpConnection.OpenNegotiated(server.SocketPath))
        {
            qmp.Execute("""{"execute":"object-add","arguments":{"qom-type":"tls-creds-psk","id":"k","dir":"/nonexistent-secret-dir","endpoint":"server"},"id":7}""");
            qmp.Execute("""{"execute":"blockdev-del","arguments":{"node-name":"missing"},"id":"del-1"}""");
        }

        var commands = log.Events.Where(e => e.EventName == "qmp_command").Select(e => e.Message).ToArray();
        Assert.Equal(["QMP command qmp_capabilities (id none)", "QMP command object-add (id 7)", "QMP command blockdev-del (id \"del-1\")"], commands);
        var error = Assert.Single(log.Events, e => e.EventName == "qmp_command_error" && e.Message.Contains("blockdev-del", StringComparison.Ordinal));
        Assert.StartsWith("QMP command blockdev-del (id \"del-1\") failed: GenericError: ", error.Message);
        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(log.Events.Where(e => e.EventName == "qmp_command"), e => e.Message.Contains("secret", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Debug, log.WaitFor("qmp_client_disconnected").Level);
    }
}
