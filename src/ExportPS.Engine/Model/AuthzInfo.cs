namespace ExportPS.Engine.Model;

/// <summary>An authorization object, described with plain values only.</summary>
public sealed record AuthzInfo
{
    public required string Id { get; init; }

    public required AuthzType Type { get; init; }

    /// <summary>Simple: the allowed identity.</summary>
    public string? Identity { get; init; }

    /// <summary>List and ListFile: the default policy (ListFile: as last read).</summary>
    public AuthzPolicy Policy { get; init; }

    /// <summary>List and ListFile: the rules in order (ListFile: as last read).</summary>
    public AuthzListRule[] Rules { get; init; } = [];

    /// <summary>ListFile: the file the rules come from.</summary>
    public string? Filename { get; init; }

    /// <summary>ListFile: whether changes to the file are picked up.</summary>
    public bool Refresh { get; init; }
}
