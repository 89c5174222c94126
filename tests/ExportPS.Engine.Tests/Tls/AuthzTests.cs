using ExportPS.Engine.Model;
using ExportPS.Engine.Tls;
using Xunit;

namespace ExportPS.Engine.Tests.Tls;

public sealed class AuthzTests
{
    private static Authz List(AuthzPolicy policy, params AuthzListRule[] rules) =>
        Authz.Create(new AuthzOptions { Id = "a", Policy = policy, Rules = rules });

    [Fact]
    public void FirstMatchingRuleDecidesElseTheDefaultPolicy()
    {
        var authz = List(AuthzPolicy.Allow,
            new AuthzListRule { Match = "CN=bob", Policy = AuthzPolicy.Deny },
            new AuthzListRule { Match = "CN=*", Policy = AuthzPolicy.Allow, Format = AuthzListFormat.Glob },
            new AuthzListRule { Match = "CN=alice", Policy = AuthzPolicy.Deny });

        Assert.False(authz.IsAllowed("CN=bob"));
        Assert.True(authz.IsAllowed("CN=alice"));
        Assert.True(authz.IsAllowed("O=anyone"));
        Assert.False(List(AuthzPolicy.Deny).IsAllowed("CN=bob"));
    }

    [Fact]
    public void ExactRulesAreCaseSensitiveAndWhole()
    {
        var authz = List(AuthzPolicy.Deny, new AuthzListRule { Match = "CN=Bob", Policy = AuthzPolicy.Allow });
        Assert.True(authz.IsAllowed("CN=Bob"));
        Assert.False(authz.IsAllowed("CN=bob"));
        Assert.False(authz.IsAllowed("CN=Bob,O=x"));
        Assert.False(authz.IsAllowed("CN=B*"));
    }

    [Fact]
    public void SimpleAllowsExactlyItsIdentity()
    {
        var authz = Authz.Create(new AuthzOptions { Id = "s", Type = AuthzType.Simple, Identity = "C=GB,CN=a" });
        Assert.True(authz.IsAllowed("C=GB,CN=a"));
        Assert.False(authz.IsAllowed("C=GB,CN=a "));
    }
}
