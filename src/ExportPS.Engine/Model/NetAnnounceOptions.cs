namespace ExportPS.Engine.Model;

/// <summary>
/// announce-self (AnnounceParameters): RARP frames for <see cref="MacAddresses"/> out of the netdevs in
/// <see cref="Interfaces"/>, in <see cref="Rounds"/> rounds timed as QEMU's announce timer (milliseconds). ExportPS has
/// no NICs whose addresses it could announce, so the addresses are given (its QMP member x-mac-addresses). Issuing
/// again with the same <see cref="Id"/> replaces a running announcement.
/// </summary>
public sealed record NetAnnounceOptions
{
    public long Initial { get; init; } = 50;

    public long Max { get; init; } = 550;

    public long Rounds { get; init; } = 5;

    public long Step { get; init; } = 100;

    public required IReadOnlyList<string> Interfaces { get; init; }

    /// <summary>MAC addresses as text ("52:54:00:12:34:56").</summary>
    public required IReadOnlyList<string> MacAddresses { get; init; }

    public string? Id { get; init; }
}
