namespace ExportPS.Engine.Net;

/// <summary>
/// A hub as QEMU's net/hub.c: a frame that enters one port leaves by every other port. The port list is replaced as
/// a whole on add or remove, so the fan-out reads it without a lock while ports come and go.
/// </summary>
public sealed class NetHub
{
    private readonly object _gate = new();
    private Netdev[] _ports = [];

    public NetHub(int id) => Id = id;

    public int Id { get; }

    public IReadOnlyList<Netdev> Ports => Volatile.Read(ref _ports);

    /// <summary>
    /// Adds a hubport netdev; <paramref name="peer"/> (QEMU's netdev=) is peered with it when given. A peer that is
    /// itself a hub port is refused: hubs joined in a loop would pass a frame round it without end.
    /// </summary>
    public Netdev AddPort(string id, Netdev? peer = null)
    {
        if (peer?.Backend is NetHubPort)
            throw new InvalidOperationException($"hub port '{id}' cannot be peered with hub port '{peer.Id}'");
        var port = new Netdev(id, owner => new NetHubPort(this, owner));
        if (peer is not null)
            Netdev.Connect(port, peer);
        lock (_gate)
            Volatile.Write(ref _ports, [.. _ports, port]);
        return port;
    }

    /// <summary>Forgets a port and unpeers it; frames already being fanned out to it end as no-peer drops.</summary>
    public bool RemovePort(Netdev port)
    {
        lock (_gate)
        {
            var index = Array.IndexOf(_ports, port);
            if (index < 0)
                return false;
            Volatile.Write(ref _ports, [.. _ports.AsSpan(0, index), .. _ports.AsSpan(index + 1)]);
        }

        port.Disconnect();
        return true;
    }

    /// <summary>
    /// Whether a frame entering by <paramref name="source"/> would be passed on: as QEMU's hub, when any other port can
    /// pass it, or when there is no other port (the frame then goes nowhere, and waiting would not change that).
    /// </summary>
    internal bool CanForward(Netdev source)
    {
        bool others = false;
        foreach (var port in Volatile.Read(ref _ports))
        {
            if (ReferenceEquals(port, source))
                continue;
            if (port.CanSend)
                return true;
            others = true;
        }

        return !others;
    }

    /// <summary>Sends a frame that entered by <paramref name="source"/> out of every other port.</summary>
    internal void Forward(Netdev source, ReadOnlySpan<byte> frame)
    {
        foreach (var port in Volatile.Read(ref _ports))
        {
            if (!ReferenceEquals(port, source))
                port.Send(frame);
        }
    }
}
