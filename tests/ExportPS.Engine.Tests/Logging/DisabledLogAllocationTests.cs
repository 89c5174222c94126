using ExportPS.Engine.Logging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace ExportPS.Engine.Tests.Logging;

/// <summary>
/// A disabled event costs its IsEnabled check and nothing else: the events logged per connection, per front-end, per
/// mount and per far-end change, called many times through a logger that writes nothing, allocate no byte on the calling thread.
/// </summary>
public sealed class DisabledLogAllocationTests
{
    private const int Rounds = 1000;

    [Fact]
    public void Disabled_connection_events_allocate_nothing()
    {
        var log = NullLogger.Instance;
        Assert.False(log.IsEnabled(LogLevel.Critical));
        LogConnectionEvents(log, Rounds); // first calls initialise the generated code's statics

        long before = GC.GetAllocatedBytesForCurrentThread();
        LogConnectionEvents(log, Rounds);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    /// <summary>The events of a connection's life in each area, with arguments of every kind the events take.</summary>
    private static void LogConnectionEvents(ILogger log, int rounds)
    {
        const string peer = "127.0.0.1:10809";
        const string reason = "bad option magic 0x0000000000000000";
        for (int i = 0; i < rounds; i++)
        {
            log.ClientAccepted(peer);
            log.ClientAttached(peer, "disk", "Structured", "off");
            log.OptionRefused(peer, 3, reason);
            log.TlsRequired(peer, 7);
            log.ClientError(peer, reason);
            log.ClientClosed(peer, "disk", i, 4096L * i, 512L * i);
            log.MaxConnectionsReached(16);
            log.Connected("vhost-user-blk vub");
            log.ProtocolError("vhost-user-blk vub", reason);
            log.Disconnected("vhost-user-blk vub");
            log.Busy("vhost-user-blk vub");
            log.Aborted("vhost-user-blk vub", reason);
            log.Mounted("fuse", "/mnt/disk.raw", readOnly: true);
            log.Unmounted("fuse", "/mnt/disk.raw");
            log.ConnectionLost("fuse", "/mnt/disk.raw");
            log.LinkChanged("net0", "down");
            log.StreamConnected("net0", peer);
            log.StreamDisconnected("net0", peer, reason);
            log.StreamFramingLost("net0", peer, reason);
            log.VdeSwitchGone("net0", reason);
            log.TapInterfaceGone("net0", "tap0", reason);
        }
    }
}
