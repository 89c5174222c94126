using Xunit;
using ExportPS.Engine.Qmp;

namespace ExportPS.Engine.Tests.Qmp;

public sealed class QmpEventTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ExportEngine _others = new();
    private readonly QmpServer _server;

    public QmpEventTests()
    {
        _server = QmpServer.Start(new ComposedEngine(_others, _others, new EventOnlyExports(), _others, _others), _dir.File("qmp.sock"));
    }

    public void Dispose()
    {
        _server.Dispose();
        _others.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void BLOCK_EXPORT_DELETED_reaches_every_negotiated_monitor_with_its_timestamp_before_the_reply()
    {
        using var first = RawQmpConnection.OpenNegotiated(_server.SocketPath);
        using var second = RawQmpConnection.OpenNegotiated(_server.SocketPath);
        using var unnegotiated = RawQmpConnection.Open(_server.SocketPath);
        unnegotiated.Read();

        first.Send("""{"execute":"block-export-del","arguments":{"id":"e0"},"id":1}""");
        var eventMessage = first.Read();
        Assert.Equal("BLOCK_EXPORT_DELETED", eventMessage.GetProperty("event").GetString());
        Assert.Equal("e0", eventMessage.GetProperty("data").GetProperty("id").GetString());
        var timestamp = eventMessage.GetProperty("timestamp");
        long seconds = timestamp.GetProperty("seconds").GetInt64();
        Assert.Equal((long)(EventOnlyExports.Timestamp - DateTime.UnixEpoch).TotalSeconds, seconds);
        Assert.Equal(123456, timestamp.GetProperty("microseconds").GetInt64());
        Assert.Equal(1, first.Read().GetProperty("id").GetInt32());

        var seenBySecond = second.Read();
        Assert.Equal("e0", seenBySecond.GetProperty("data").GetProperty("id").GetString());

        // The unnegotiated monitor gets no event: its next message is the answer to its own command.
        var reply = unnegotiated.Execute("""{"execute":"qmp_capabilities","id":"n"}""");
        Assert.Empty(unnegotiated.Events);
        Assert.Equal("n", reply.GetProperty("id").GetString());
    }

    [Fact]
    public void QmpClient_raises_events_with_the_servers_timestamp()
    {
        using var engine = QmpExportEngine.Connect(_server.SocketPath, TimeSpan.FromSeconds(10));
        var received = new System.Collections.Concurrent.BlockingCollection<Model.BlockExportDeletedEventArgs>();
        engine.ExportDeleted += (_, e) => received.Add(e);
        engine.RemoveBlockExport("e1", Model.BlockExportRemoveMode.Hard);
        Assert.True(received.TryTake(out var deleted, TimeSpan.FromSeconds(10)));
        Assert.Equal("e1", deleted!.Id);
        Assert.Equal(EventOnlyExports.Timestamp.AddTicks(1234560), deleted.TimestampUtc);
    }
}
