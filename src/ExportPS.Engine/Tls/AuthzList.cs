using ExportPS.Engine.Model;

namespace ExportPS.Engine.Tls;

/// <summary>authz-list: the first rule whose match fits decides; when none fits, the default policy.</summary>
internal sealed class AuthzList(string id, AuthzPolicy policy, AuthzListRule[] rules) : Authz(id)
{
    public override bool IsAllowed(string identity)
    {
        foreach (var rule in rules)
        {
            bool matches = rule.Format == AuthzListFormat.Glob
                ? GlobPattern.IsMatch(rule.Match, identity)
                : string.Equals(rule.Match, identity, StringComparison.Ordinal);
            if (matches)
            {
                return rule.Policy == AuthzPolicy.Allow;
            }
        }

        return policy == AuthzPolicy.Allow;
    }

    public override AuthzInfo ToInfo() => new() { Id = Id, Type = AuthzType.List, Policy = policy, Rules = rules.ToArray() };
}
