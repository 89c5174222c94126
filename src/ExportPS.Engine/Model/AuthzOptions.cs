namespace ExportPS.Engine.Model;

/// <summary>QEMU's authorization object types.</summary>
public enum AuthzType
{
    /// <summary>authz-list: ordered rules, first match decides, else the default policy.</summary>
    List,

    /// <summary>authz-simple: exactly one allowed identity.</summary>
    Simple,

    /// <summary>authz-listfile: an authz-list read from a JSON file ({"policy": ..., "rules": [...]}), reread when it changes.</summary>
    ListFile,
}

/// <summary>QAuthZListPolicy.</summary>
public enum AuthzPolicy
{
    Deny,
    Allow,
}

/// <summary>QAuthZListFormat: how a rule's match string is compared with the identity.</summary>
public enum AuthzListFormat
{
    /// <summary>Equal strings.</summary>
    Exact,

    /// <summary>GLib's simple pattern: '*' matches any run of characters, '?' one character; nothing else is special.</summary>
    Glob,
}

/// <summary>QAuthZListRule.</summary>
public sealed record AuthzListRule
{
    public required string Match { get; init; }

    public required AuthzPolicy Policy { get; init; }

    public AuthzListFormat Format { get; init; } = AuthzListFormat.Exact;
}

/// <summary>object-add qom-type=authz-list, authz-simple or authz-listfile. Which fields apply depends on <see cref="Type"/>.</summary>
public sealed record AuthzOptions
{
    public AuthzType Type { get; init; } = AuthzType.List;

    public required string Id { get; init; }

    /// <summary>Simple: the one identity allowed (for TLS, the client certificate's distinguished name).</summary>
    public string? Identity { get; init; }

    /// <summary>List: the answer when no rule matches.</summary>
    public AuthzPolicy Policy { get; init; } = AuthzPolicy.Deny;

    /// <summary>List: checked in order; the first matching rule decides.</summary>
    public AuthzListRule[] Rules { get; init; } = [];

    /// <summary>ListFile: absolute path of the JSON file.</summary>
    public string? Filename { get; init; }

    /// <summary>ListFile: reread the file when it changes (checked at each connection).</summary>
    public bool Refresh { get; init; } = true;
}
