namespace ExportPS.Engine.Model;

/// <summary>NetdevDgramOptions: a datagram socket (UDP or unix) bound to <see cref="Local"/>, sending to <see cref="Remote"/>.</summary>
public sealed record DgramNetdevOptions : NetdevOptions
{
    public const string TypeName = "dgram";

    public override string Type => TypeName;

    public required SocketAddressOptions Local { get; init; }

    public required SocketAddressOptions Remote { get; init; }

    public override string Summary() => NetdevSummary.Join(("local", Local.ToString()), ("remote", Remote.ToString()));
}
