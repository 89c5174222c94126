namespace ExportPS.Engine.Model;

/// <summary>
/// NetdevVhostUserOptions: ExportPS is the vhost-user-net back-end on a unix socket it listens on, a guest's QEMU the
/// front-end. QEMU names the socket through a chardev; ExportPS has no chardev objects (no chardev-add), so the socket
/// path comes in <see cref="SocketPath"/> (x-socket-path, an ExportPS extension), which the host fills in from its
/// --chardev.
/// </summary>
public sealed record VhostUserNetdevOptions : NetdevOptions
{
    public const string TypeName = "vhost-user";

    /// <summary>QEMU's limit on the queue pairs of a vhost-user netdev.</summary>
    public const int MaxQueues = 1024;

    public override string Type => TypeName;

    /// <summary>The id of the socket chardev.</summary>
    public required string Chardev { get; init; }

    /// <summary>Accepted for QEMU's spelling; it only concerns a guest without MSI-X, which the front-end handles.</summary>
    public bool? VhostForce { get; init; }

    /// <summary>Queue pairs (default 1).</summary>
    public uint? Queues { get; init; }

    /// <summary>x-socket-path: the unix socket the back-end listens on.</summary>
    public string? SocketPath { get; init; }

    public int QueuePairs => (int)(Queues ?? 1);

    internal override string? CombinationError()
    {
        if (Queues is < 1 or > MaxQueues)
            return $"vhost-user number of queues must be in range [1, {MaxQueues}]";
        if (string.IsNullOrEmpty(SocketPath))
            return $"chardev \"{Chardev}\": ExportPS has no chardev objects (no chardev-add); give the socket path in x-socket-path";
        return null;
    }

    public override string Summary() => NetdevSummary.Join(
        ("chardev", Chardev), ("vhostforce", NetdevSummary.OnOff(VhostForce)), ("queues", Queues?.ToString()), ("x-socket-path", SocketPath));
}
