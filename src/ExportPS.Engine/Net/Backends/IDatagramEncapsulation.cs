namespace ExportPS.Engine.Net.Backends;

/// <summary>
/// What a datagram netdev puts around each frame on the wire, for types whose datagrams carry more than the frame
/// (l2tpv3's header). dgram and socket udp=/mcast= send the bare frame and have none.
/// </summary>
internal interface IDatagramEncapsulation
{
    /// <summary>The most bytes a received packet may carry besides its frame.</summary>
    int MaxOverhead { get; }

    /// <summary>Writes the packet of <paramref name="frame"/> into <paramref name="packet"/> and returns its length (called on the writer thread only).</summary>
    int Wrap(ReadOnlySpan<byte> frame, Span<byte> packet);

    /// <summary>The frame in a received packet; false when the packet is not one for this end (a malformed drop).</summary>
    bool TryUnwrap(Span<byte> packet, out Range frame);
}
