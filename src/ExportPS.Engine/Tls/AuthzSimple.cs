using ExportPS.Engine.Model;

namespace ExportPS.Engine.Tls;

/// <summary>authz-simple: exactly one identity is allowed.</summary>
internal sealed class AuthzSimple(string id, string allowed) : Authz(id)
{
    public override bool IsAllowed(string identity) => string.Equals(allowed, identity, StringComparison.Ordinal);

    public override AuthzInfo ToInfo() => new() { Id = Id, Type = AuthzType.Simple, Identity = allowed };
}
