namespace ExportPS.Engine.Model;

/// <summary>A vhost-user-blk export's own part of its description.</summary>
public sealed record VhostUserBlkExportDetails : BlockExportDetails
{
    /// <summary>The listening socket: its path, or fd:N for a passed one.</summary>
    public required string Socket { get; init; }

    /// <summary>A front-end (QEMU) is connected.</summary>
    public bool FrontEndConnected { get; init; }

    /// <summary>The virtio feature bits the front-end accepted (SET_FEATURES); 0 while none is connected.</summary>
    public ulong NegotiatedFeatures { get; init; }

    public int NumQueues { get; init; }

    public long LogicalBlockSize { get; init; }

    /// <summary>Requests completed on each queue during the current connection (index = queue).</summary>
    public long[] QueueRequests { get; init; } = [];

    /// <summary>The socket: what a table of exports shows for a vhost-user-blk export.</summary>
    public override string ToString() => Socket;
}
