namespace ExportPS.Engine.Model;

/// <summary>NetdevHubPortOptions: a port of hub <see cref="HubId"/>, peered with netdev <see cref="Netdev"/> when given.</summary>
public sealed record HubportNetdevOptions : NetdevOptions
{
    public const string TypeName = "hubport";

    public override string Type => TypeName;

    public required int HubId { get; init; }

    public string? Netdev { get; init; }

    public override string Summary() => NetdevSummary.Join(("hubid", HubId.ToString()), ("netdev", Netdev));
}
