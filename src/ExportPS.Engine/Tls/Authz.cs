using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Objects;

namespace ExportPS.Engine.Tls;

/// <summary>An authorization object (QEMU's QAuthZ): answers whether an identity, e.g. a client certificate's DN, is allowed.</summary>
internal abstract class Authz(string id) : IUserCreatable
{
    public string Id { get; } = id;

    /// <summary>Never: the NBD server looks its authz up by id for each connection.</summary>
    public bool InUse => false;

    public abstract bool IsAllowed(string identity);

    public abstract AuthzInfo ToInfo();

    public static Authz Create(AuthzOptions options) => options.Type switch
    {
        AuthzType.Simple => new AuthzSimple(options.Id, options.Identity
            ?? throw Invalid(options.Id, "The 'identity' property must be set")),
        AuthzType.List => new AuthzList(options.Id, options.Policy, ValidRules(options)),
        AuthzType.ListFile => new AuthzListFile(options.Id, options.Filename, options.Refresh),
        _ => throw Invalid(options.Id, $"Unknown authorization type '{options.Type}'"),
    };

    private static AuthzListRule[] ValidRules(AuthzOptions options)
    {
        var rules = options.Rules ?? [];
        if (rules.Any(r => r is null || r.Match is null))
        {
            throw Invalid(options.Id, "Parameter 'match' is missing");
        }

        // A copy: the caller's array must not change the rules behind the engine's back.
        return rules.ToArray();
    }

    protected static EngineException Invalid(string id, string message) =>
        new(ErrorIds.InvalidAuthzOptions, EngineErrorCategory.InvalidArgument, message) { Target = id };
}
