namespace ExportPS.Engine.Model;

/// <summary>An authorization object, described with plain values only.</summary>
public sealed record AuthzInfo
{
    public required string Id { get; init; }

    public required AuthzType Type { get; init; }

    /// <summary>Simple: the allowed identity.</summary>
    public string? Identity { get; init; }

    /// <summary>List: the default policy.</summary>
    public AuthzPolicy Policy { get; init; }

    /// <summary>List: the rules in order.</summary>
    public AuthzListRule[] Rules { get; init; } = [];
}
