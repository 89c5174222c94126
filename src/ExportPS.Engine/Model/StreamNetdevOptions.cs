namespace ExportPS.Engine.Model;

/// <summary>
/// NetdevStreamOptions: a stream socket (inet or unix) carrying length-prefixed frames. Server listens and takes one
/// peer at a time; a client connects, and with <see cref="Reconnect"/> seconds over 0 it connects again after a loss.
/// </summary>
public sealed record StreamNetdevOptions : NetdevOptions
{
    public const string TypeName = "stream";

    public override string Type => TypeName;

    public required SocketAddressOptions Address { get; init; }

    public bool Server { get; init; }

    /// <summary>Seconds between connection attempts of a client (0: none after the first).</summary>
    public int Reconnect { get; init; }

    public override string Summary() => NetdevSummary.Join(
        ("addr", Address.ToString()), ("server", Server ? "on" : "off"), ("reconnect", Reconnect > 0 ? Reconnect.ToString() : null));
}
