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

    [Fact]
    public void ListFileReadsQemusJsonAndRereadsItWhenItChanges()
    {
        using var pki = new TestPki();
        string file = Path.Combine(pki.Root, "authz.json");
        File.WriteAllText(file, """{"policy": "deny", "rules": [{"match": "*CN=alice", "policy": "allow", "format": "glob"}]}""");
        var authz = Authz.Create(new AuthzOptions { Id = "f", Type = AuthzType.ListFile, Filename = file });
        Assert.True(authz.IsAllowed("C=GB,CN=alice"));
        Assert.False(authz.IsAllowed("C=GB,CN=bob"));
        Assert.Equal(file, authz.ToInfo().Filename);
        Assert.Equal("*CN=alice", Assert.Single(authz.ToInfo().Rules).Match);

        File.WriteAllText(file, """{"policy": "allow", "rules": [{"match": "C=GB,CN=alice", "policy": "deny"}]}""");
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddSeconds(5));
        Assert.False(authz.IsAllowed("C=GB,CN=alice"));
        Assert.True(authz.IsAllowed("C=GB,CN=bob"));

        // A file that no longer reads denies everyone until it is fixed.
        File.WriteAllText(file, "{ broken");
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddSeconds(10));
        Assert.False(authz.IsAllowed("C=GB,CN=bob"));
    }

    [Fact]
    public void ListFileWithoutRefreshKeepsWhatItRead()
    {
        using var pki = new TestPki();
        string file = Path.Combine(pki.Root, "authz.json");
        File.WriteAllText(file, """{"rules": [{"match": "CN=a", "policy": "allow"}]}""");
        var authz = Authz.Create(new AuthzOptions { Id = "f", Type = AuthzType.ListFile, Filename = file, Refresh = false });
        File.WriteAllText(file, """{"policy": "deny"}""");
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddSeconds(5));
        Assert.True(authz.IsAllowed("CN=a"));
    }

    [Theory]
    [InlineData(null, "filename not provided")]
    [InlineData("relative.json", "Filename must be an absolute path")]
    [InlineData("/nonexistent/authz.json", "Unable to read '/nonexistent/authz.json': ")]
    public void ListFileErrorsAtCreation(string? filename, string message)
    {
        var e = Assert.Throws<ExportPS.Engine.Errors.EngineException>(() =>
            Authz.Create(new AuthzOptions { Id = "f", Type = AuthzType.ListFile, Filename = filename }));
        Assert.StartsWith(message, e.Message);
    }

    [Theory]
    [InlineData("[1]", "must contain a JSON object")]
    [InlineData("""{"rules": [{"policy": "allow"}]}""", "Parameter 'rules[0].match' is missing")]
    [InlineData("""{"rules": [{"match": "x", "policy": "maybe"}]}""", "Parameter 'rules[0].policy' does not accept value \"maybe\"")]
    [InlineData("""{"policy": "allow", "extra": 1}""", "Parameter 'extra' is unexpected")]
    public void ListFileContentIsCheckedLikeQemu(string json, string message)
    {
        using var pki = new TestPki();
        string file = Path.Combine(pki.Root, "authz.json");
        File.WriteAllText(file, json);
        var e = Assert.Throws<ExportPS.Engine.Errors.EngineException>(() =>
            Authz.Create(new AuthzOptions { Id = "f", Type = AuthzType.ListFile, Filename = file }));
        Assert.Contains(message, e.Message);
    }
}
