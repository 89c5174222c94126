using System.Text.RegularExpressions;
using ExportPS.Engine.Tls;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace ExportPS.Engine.Tests.Tls;

public sealed class GlobPatternTests
{
    [Theory]
    [InlineData("*", "", true)]
    [InlineData("*", "C=GB,CN=anything", true)]
    [InlineData("C=GB,*CN=*.example.com", "C=GB,O=Org,CN=laptop.example.com", true)]
    [InlineData("C=GB,*CN=*.example.com", "C=FR,O=Org,CN=laptop.example.com", false)]
    [InlineData("CN=?", "CN=ë", true)]
    [InlineData("CN=?", "CN=ab", false)]
    [InlineData("CN=a[b]c", "CN=a[b]c", true)] // no bracket classes, as in GLib
    [InlineData("CN=a[b]c", "CN=abc", false)]
    [InlineData(@"CN=a\*", @"CN=a\xyz", true)] // no escapes either
    [InlineData("abc", "abcd", false)]
    public void MatchesLikeGlibSimplePatterns(string pattern, string text, bool expected)
    {
        Assert.Equal(expected, GlobPattern.IsMatch(pattern, text));
    }

    [Fact]
    public void AgreesWithARegexReference()
    {
        var patterns = Gen.Elements('a', 'b', '*', '?').ArrayOf().Select(c => new string(c)).ToArbitrary();
        var texts = Gen.Elements('a', 'b').ArrayOf().Select(c => new string(c)).ToArbitrary();
        Check.QuickThrowOnFailure(Prop.ForAll(patterns, texts, (pattern, text) =>
        {
            string regex = "^" + string.Concat(pattern.Select(c => c switch { '*' => ".*", '?' => ".", _ => Regex.Escape(c.ToString()) })) + "$";
            return GlobPattern.IsMatch(pattern, text) == Regex.IsMatch(text, regex, RegexOptions.Singleline);
        }));
    }
}
