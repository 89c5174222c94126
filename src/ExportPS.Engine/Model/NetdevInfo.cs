namespace ExportPS.Engine.Model;

/// <summary>
/// One netdev as the query reports it: type, options, hub and peer, link state, whether its far end is connected, and
/// counters per direction, flat and plain-valued (PowerShell remoting serializes every member). Received: frames its
/// peer delivered to it, bound for its far end. Sent: frames from its far end passed on to its peer.
/// </summary>
public sealed record NetdevInfo
{
    public required string Id { get; init; }

    public required string Type { get; init; }

    /// <summary>The options in QEMU's -netdev syntax (see <see cref="NetdevOptions.Summary"/>).</summary>
    public required string Options { get; init; }

    /// <summary>
    /// netdev_add's arguments that make this netdev (type, id and the type's members) as JSON text: what a
    /// configuration reads back, whatever the type.
    /// </summary>
    public required string Arguments { get; init; }

    /// <summary>The hub of a hub port; null for other netdevs.</summary>
    public int? Hub { get; init; }

    public string? Peer { get; init; }

    public bool LinkUp { get; init; }

    /// <summary>Whether the far end (a stream connection) is there; datagram and hub port netdevs always are.</summary>
    public bool Connected { get; init; }

    /// <summary>What went wrong at the far end (a vhost-user front-end's broken ring or refused request); null when nothing did.</summary>
    public string? Failure { get; init; }

    /// <summary>
    /// For a vhost-user netdev: the descriptor chains its guest's driver got back on each virtqueue since the current
    /// front-end connected, as "rx0=12 tx0=30 rx1=8 tx1=0" (queue pair n: receive queue 2n, transmit queue 2n+1); null
    /// for other types.
    /// </summary>
    public string? VirtqueueCompletions { get; init; }

    public long ReceivedFrames { get; init; }

    public long ReceivedBytes { get; init; }

    public long ReceivedDropped { get; init; }

    public long ReceivedDroppedLinkDown { get; init; }

    public long ReceivedDroppedNoPeer { get; init; }

    public long ReceivedDroppedOversize { get; init; }

    public long ReceivedDroppedMalformed { get; init; }

    public long ReceivedDroppedQueueFull { get; init; }

    public long SentFrames { get; init; }

    public long SentBytes { get; init; }

    public long SentDropped { get; init; }

    public long SentDroppedLinkDown { get; init; }

    public long SentDroppedNoPeer { get; init; }

    public long SentDroppedOversize { get; init; }

    public long SentDroppedMalformed { get; init; }

    public long SentDroppedQueueFull { get; init; }
}
